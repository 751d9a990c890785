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
    /// true: every capability, no seccomp filter, the host's root writable (v1's sandboxes).
    public var privileged: Bool
    /// nil when privileged.
    public var capabilities: Capabilities?
    /// nil when privileged.
    public var seccomp: Seccomp?
    public var mounts: [Mount]
    /// Soft = hard limit, by prlimit(1) name.
    public var rlimits: [String: UInt64]
    /// Cgroup limits and the log cap.
    public var resources: Resources
    /// Namespaces entered instead of created, by type name: a held namespace's name, an inode,
    /// `sandbox:REF`, or an nsfs path.
    public var join: [String: String] = [:]

    public func has(_ type: NamespaceType) -> Bool { namespaces.contains(type) }

    public var joinedTypes: [NamespaceType] { NamespaceType.allCases.filter { join[$0.rawValue] != nil } }
}

/// Absent optional members are left out of the encoding (the API's echo and the journal alike):
/// the echo stays a valid, re-submittable SandboxSpec, which allows no null. Records written with
/// explicit nulls read the same.
extension SandboxSpec: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, command, namespaces, hostname, domainname, env, cwd, rootfs, readonlyRootfs, mountProc, user
        case uidMappings, gidMappings, timeOffsets, labels
        case privileged, capabilities, seccomp, mounts, rlimits, resources, join
    }

    /// Records journaled before confinement existed have no confinement members: they describe
    /// sandboxes that ran unconfined, and are read as privileged.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        command = try c.decode([String].self, forKey: .command)
        namespaces = try c.decode([NamespaceType].self, forKey: .namespaces)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        domainname = try c.decodeIfPresent(String.self, forKey: .domainname)
        env = try c.decode([String: String].self, forKey: .env)
        cwd = try c.decode(String.self, forKey: .cwd)
        rootfs = try c.decodeIfPresent(String.self, forKey: .rootfs)
        readonlyRootfs = try c.decode(Bool.self, forKey: .readonlyRootfs)
        mountProc = try c.decode(Bool.self, forKey: .mountProc)
        user = try c.decode(Identity.self, forKey: .user)
        uidMappings = try c.decodeIfPresent([IDMapping].self, forKey: .uidMappings)
        gidMappings = try c.decodeIfPresent([IDMapping].self, forKey: .gidMappings)
        timeOffsets = try c.decodeIfPresent(TimeOffsets.self, forKey: .timeOffsets)
        labels = try c.decode([String: String].self, forKey: .labels)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged) ?? true
        capabilities = try c.decodeIfPresent(Capabilities.self, forKey: .capabilities)
        seccomp = try c.decodeIfPresent(Seccomp.self, forKey: .seccomp)
        mounts = try c.decodeIfPresent([Mount].self, forKey: .mounts) ?? []
        rlimits = try c.decodeIfPresent([String: UInt64].self, forKey: .rlimits) ?? [:]
        resources = try c.decodeIfPresent(Resources.self, forKey: .resources) ?? .none
        join = try c.decodeIfPresent([String: String].self, forKey: .join) ?? [:]
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
