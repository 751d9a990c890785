/// What to run and in which new namespaces: the validated request with every default filled in.
public struct SandboxSpec: Sendable, Equatable {
    public struct Identity: Sendable, Equatable, Codable {
        public var uid: UInt32
        public var gid: UInt32
    }

    public struct IDMapping: Sendable, Equatable, Codable {
        public var insideId: UInt32
        public var outsideId: UInt32
        public var count: UInt32
    }

    public struct TimeOffsets: Sendable, Equatable, Codable {
        public var monotonic: Int64
        public var boottime: Int64
    }

    public static let defaultNamespaces: [NamespaceType] = [.mnt, .uts, .ipc, .pid, .net, .cgroup]
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    public static let defaultMapping = [IDMapping(insideId: 0, outsideId: 100_000, count: 65_536)]

    @ExplicitNull public var name: String?
    public var command: [String]
    public var namespaces: [NamespaceType]
    @ExplicitNull public var hostname: String?
    @ExplicitNull public var domainname: String?
    public var env: [String: String]
    public var cwd: String
    @ExplicitNull public var rootfs: String?
    public var readonlyRootfs: Bool
    public var mountProc: Bool
    public var user: Identity
    @ExplicitNull public var uidMappings: [IDMapping]?
    @ExplicitNull public var gidMappings: [IDMapping]?
    @ExplicitNull public var timeOffsets: TimeOffsets?
    public var labels: [String: String]

    public func has(_ type: NamespaceType) -> Bool { namespaces.contains(type) }
}

extension SandboxSpec: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, command, namespaces, hostname, domainname, env, cwd, rootfs, readonlyRootfs, mountProc, user
        case uidMappings, gidMappings, timeOffsets, labels
    }
}

/// A spec member that breaks a rule; the API answers it as a 400 naming both.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var member: String
    public var rule: String

    public init(_ member: String, _ rule: String) {
        self.member = member
        self.rule = rule
    }

    public var description: String { "\(member): \(rule)" }
}
