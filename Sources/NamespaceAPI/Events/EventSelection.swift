import NamespaceKit

/// The event names a listener asked for, one bit per entry of `ChangeEvent.names`: a listener
/// holds no set of strings, and a publish tests each listener with one AND.
struct EventSelection: Sendable, Equatable {
    private(set) var bits: UInt64

    static let all = EventSelection(names: ChangeEvent.names)

    init(names: some Sequence<String>) {
        bits = names.reduce(0) { $0 | Self.bit(of: $1) }
    }

    /// The bit of a name (0 for a name that is not an event's, such as `reset`).
    static func bit(of name: String) -> UInt64 {
        guard let index = ChangeEvent.names.firstIndex(of: name) else { return 0 }
        precondition(index < UInt64.bitWidth, "more event names than bits")
        return 1 << UInt64(index)
    }

    func contains(bit: UInt64) -> Bool { bits & bit != 0 }
    func contains(_ name: String) -> Bool { contains(bit: Self.bit(of: name)) }

    /// Whether it wants anything a namespace rescan finds.
    var wantsRescan: Bool { bits & Self.rescanned != 0 }

    private static let rescanned = ChangeEvent.names.lazy.filter { $0.hasPrefix("namespace.") || $0 == "limits.changed" }
        .reduce(UInt64(0)) { $0 | bit(of: $1) }
}
