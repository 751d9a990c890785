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

    public var name: String?
    public var command: [String]
    public var namespaces: [NamespaceType]
    public var hostname: String?
    public var domainname: String?
    public var env: [String: String]
    public var cwd: String
    public var rootfs: String?
    public var readonlyRootfs: Bool
    public var mountProc: Bool
    public var user: Identity
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public var timeOffsets: TimeOffsets?
    public var labels: [String: String]

    public func has(_ type: NamespaceType) -> Bool { namespaces.contains(type) }
}

extension SandboxSpec: Encodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, command, namespaces, hostname, domainname, env, cwd, rootfs, readonlyRootfs, mountProc, user
        case uidMappings, gidMappings, timeOffsets, labels
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(command, forKey: .command)
        try c.encode(namespaces, forKey: .namespaces)
        try c.encode(hostname, forKey: .hostname)
        try c.encode(domainname, forKey: .domainname)
        try c.encode(env, forKey: .env)
        try c.encode(cwd, forKey: .cwd)
        try c.encode(rootfs, forKey: .rootfs)
        try c.encode(readonlyRootfs, forKey: .readonlyRootfs)
        try c.encode(mountProc, forKey: .mountProc)
        try c.encode(user, forKey: .user)
        try c.encode(uidMappings, forKey: .uidMappings)
        try c.encode(gidMappings, forKey: .gidMappings)
        try c.encode(timeOffsets, forKey: .timeOffsets)
        try c.encode(labels, forKey: .labels)
    }
}

/// Read back from the registry's own files, which hold specs already validated.
extension SandboxSpec: Decodable {}

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
