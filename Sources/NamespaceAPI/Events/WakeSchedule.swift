/// When listeners are woken after writes: at once when the last wake is at least an interval old,
/// otherwise once, at the end of that interval, for every write made meanwhile. A wake costs each
/// listener a resume, a send and a suspend of its connection, about 10 µs of CPU; at most one wake
/// per interval bounds that work under a burst of events (a create is three), while a lone event
/// still goes out at once.
struct WakeSchedule: Sendable {
    enum Decision: Equatable {
        /// Wake now.
        case now
        /// Wake at this time (nanoseconds, the clock `written` is given); nobody has arranged it yet.
        case at(UInt64)
        /// A wake is arranged already and takes these writes along.
        case pending
    }

    private var last: UInt64?
    private var arranged = false

    /// The interval for this many listeners: 125 µs a listener, from 1 ms to 25 ms. A wake of all of
    /// them then costs about a twelfth of the interval in CPU, however fast events come; past 200
    /// listeners the ceiling keeps what a wait adds to an event's delay at 25 ms.
    static func interval(listeners: Int) -> UInt64 {
        UInt64(min(max(listeners * 125_000, 1_000_000), 25_000_000))
    }

    mutating func written(at now: UInt64, interval: UInt64) -> Decision {
        if arranged { return .pending }
        if let last, now < last + interval {
            arranged = true
            return .at(last + interval)
        }
        last = now
        return .now
    }

    /// The arranged wake is happening.
    mutating func woke(at now: UInt64) {
        arranged = false
        last = now
    }
}
