/// What a credential may do; each scope includes the ones before it.
public enum Scope: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Every GET.
    case read
    /// read, plus starting, waiting for, signalling, executing in and deleting sandboxes.
    case operate
    /// Everything.
    case admin

    public init?(name: String) {
        guard let scope = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = scope
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .read: "read"
        case .operate: "operate"
        case .admin: "admin"
        }
    }
}
