/// When listeners are woken after writes: at once when the last wake is at least `interval` old,
/// otherwise once, at the end of that interval, for every write made meanwhile. A wake costs each
/// listener a resume, a send and a suspend of its connection; one per interval at most bounds that
/// work under a burst of events (a create is three), while a lone event still goes out at once.
struct WakeSchedule: Sendable {
    enum Decision: Equatable {
        /// Wake now.
        case now
        /// Wake at this time (nanoseconds, the clock `written` is given); nobody has arranged it yet.
        case at(UInt64)
        /// A wake is arranged already and takes these writes along.
        case pending
    }

    /// Nanoseconds.
    let interval: UInt64
    private var last: UInt64?
    private var arranged = false

    init(interval: UInt64) {
        self.interval = interval
    }

    mutating func written(at now: UInt64) -> Decision {
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
