/// The eight namespace types, named exactly as the links in `/proc/PID/ns`.
public enum NamespaceType: String, CaseIterable, Sendable, Codable, Comparable {
    case mnt, uts, ipc, pid, net, user, cgroup, time

    /// The kernel's per-user limit on namespaces of this type.
    public var sysctlPath: String { "/proc/sys/user/max_\(rawValue)_namespaces" }

    /// Only pid and user namespaces form a hierarchy the kernel exposes through NS_GET_PARENT.
    public var isHierarchical: Bool { self == .pid || self == .user }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses `"pid"` or a comma-separated list such as `"pid,net"`; nil when any part is unknown.
    public static func parseList(_ text: String) -> [NamespaceType]? {
        var result: [NamespaceType] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let type = NamespaceType(rawValue: String(part)) else { return nil }
            result.append(type)
        }
        return result
    }
}
