/// A SandboxSpec as a client sends it: every member optional but `command`. Decoding rejects
/// unknown members and wrong types; `resolve()` applies the rules and the defaults.
public struct SandboxSpecRequest: Sendable, Decodable {
    public var name: String?
    public var command: [String]?
    public var namespaces: [NamespaceType]?
    public var hostname: String?
    public var domainname: String?
    public var env: [String: String]?
    public var cwd: String?
    public var rootfs: String?
    public var readonlyRootfs: Bool?
    public var mountProc: Bool?
    public var user: StrictIdentity?
    public var uidMappings: [StrictMapping]?
    public var gidMappings: [StrictMapping]?
    public var timeOffsets: StrictTimeOffsets?
    public var labels: [String: String]?
    public var privileged: Bool?
    public var capabilities: StrictCapabilities?
    public var seccomp: String?
    public var mounts: [StrictMount]?
    public var rlimits: [String: Int64]?
    public var resources: StrictResources?
    public var join: [String: String]?

    typealias Keys = SandboxSpec.CodingKeys

    /// A request with nothing set, for reusing the member rules (e.g. an exec's command and env).
    public static var empty: SandboxSpecRequest { SandboxSpecRequest() }

    private init() {}

    public init(from decoder: Decoder) throws {
        try checkMembers(decoder, allowed: Keys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        namespaces = try c.decodeIfPresent([NamespaceType].self, forKey: .namespaces)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        domainname = try c.decodeIfPresent(String.self, forKey: .domainname)
        env = try c.decodeIfPresent([String: String].self, forKey: .env)
        cwd = try c.decodeIfPresent(String.self, forKey: .cwd)
        rootfs = try c.decodeIfPresent(String.self, forKey: .rootfs)
        readonlyRootfs = try c.decodeIfPresent(Bool.self, forKey: .readonlyRootfs)
        mountProc = try c.decodeIfPresent(Bool.self, forKey: .mountProc)
        user = try c.decodeIfPresent(StrictIdentity.self, forKey: .user)
        uidMappings = try c.decodeIfPresent([StrictMapping].self, forKey: .uidMappings)
        gidMappings = try c.decodeIfPresent([StrictMapping].self, forKey: .gidMappings)
        timeOffsets = try c.decodeIfPresent(StrictTimeOffsets.self, forKey: .timeOffsets)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged)
        capabilities = try c.decodeIfPresent(StrictCapabilities.self, forKey: .capabilities)
        seccomp = try c.decodeIfPresent(String.self, forKey: .seccomp)
        mounts = try c.decodeIfPresent([StrictMount].self, forKey: .mounts)
        rlimits = try c.decodeIfPresent([String: Int64].self, forKey: .rlimits)
        resources = try c.decodeIfPresent(StrictResources.self, forKey: .resources)
        join = try c.decodeIfPresent([String: String].self, forKey: .join)
    }

    public struct StrictCapabilities: Sendable, Decodable {
        var add: [String]?
        var drop: [String]?
        public init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["add", "drop"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            add = try c.decodeIfPresent([String].self, forKey: AnyKey("add"))
            drop = try c.decodeIfPresent([String].self, forKey: AnyKey("drop"))
        }
    }

    /// Members are checked against the mount's type in `resolve()`.
    public struct StrictMount: Sendable, Decodable {
        var type: String?
        var source: String?
        var target: String?
        var readOnly: Bool?
        var sizeBytes: Int64?
        public init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["type", "source", "target", "readOnly", "sizeBytes"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            type = try c.decodeIfPresent(String.self, forKey: AnyKey("type"))
            source = try c.decodeIfPresent(String.self, forKey: AnyKey("source"))
            target = try c.decodeIfPresent(String.self, forKey: AnyKey("target"))
            readOnly = try c.decodeIfPresent(Bool.self, forKey: AnyKey("readOnly"))
            if c.contains(AnyKey("sizeBytes")) {
                sizeBytes = try integer(c, AnyKey("sizeBytes"), rule: "must be a whole number of bytes")
            }
        }
    }

    /// Ids are read as wide integers and range-checked here, so that -1 or 2^32 is answered
    /// with the member's name (Foundation reports an out-of-range UInt32 without a path).
    public struct StrictIdentity: Sendable, Decodable {
        var value: SandboxSpec.Identity
        public init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["uid", "gid"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            value = SandboxSpec.Identity(uid: try id(c, "uid"), gid: try id(c, "gid"))
        }
    }

    public struct StrictMapping: Sendable, Decodable {
        var value: SandboxSpec.IDMapping
        public init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["insideId", "outsideId", "count"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            value = SandboxSpec.IDMapping(
                insideId: try id(c, "insideId"), outsideId: try id(c, "outsideId"),
                count: try id(c, "count"))
        }
    }

    public struct StrictTimeOffsets: Sendable, Decodable {
        var value: SandboxSpec.TimeOffsets
        public init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["monotonic", "boottime"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            func offset(_ name: String) throws -> Int64 {
                guard c.contains(AnyKey(name)) else { return 0 }
                return try integer(c, AnyKey(name), rule: "must be whole seconds within ±2147483648")
            }
            value = SandboxSpec.TimeOffsets(monotonic: try offset("monotonic"), boottime: try offset("boottime"))
        }
    }
}

private func id(_ container: KeyedDecodingContainer<AnyKey>, _ name: String) throws -> UInt32 {
    let key = AnyKey(name)
    let rule = "must be an integer from 0 to 4294967295"
    guard let value = UInt32(exactly: try integer(container, key, rule: rule)) else {
        throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: rule))
    }
    return value
}

/// Foundation reports a number too large for Int64 (1e300) without saying which member it was.
private func integer(_ container: KeyedDecodingContainer<AnyKey>, _ key: AnyKey, rule: String) throws -> Int64 {
    do {
        return try container.decode(Int64.self, forKey: key)
    } catch DecodingError.dataCorrupted {
        throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: rule))
    }
}

/// A coding key for any member name, to look at the members an object actually has.
public struct AnyKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Thrown while decoding when an object has a member the API does not define.
public struct UnknownMemberError: Error, Sendable {
    public var path: String
    public var member: String
}

/// Thrown while decoding when a member is `null`: no request member of the API is nullable
/// (api/openapi.yaml allows none), and leaving a member out is how a client asks for its default.
public struct NullMemberError: Error, Sendable {
    public var path: String
}

/// Throws `UnknownMemberError` when the object being decoded has a member outside `allowed`, and
/// `NullMemberError` when one of its members is `null`.
public func checkMembers(_ decoder: Decoder, allowed: [String], nullable: [String] = []) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    var path = ""
    for key in decoder.codingPath {
        if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
    }
    for key in container.allKeys {
        guard allowed.contains(key.stringValue) else { throw UnknownMemberError(path: path, member: key.stringValue) }
        if !nullable.contains(key.stringValue), try container.decodeNil(forKey: key) {
            throw NullMemberError(path: path.isEmpty ? key.stringValue : path + "." + key.stringValue)
        }
    }
}
