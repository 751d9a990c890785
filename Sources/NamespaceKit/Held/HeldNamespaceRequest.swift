/// The body of `POST /namespaces` as a client sends it; `resolve()` applies the rules: the
/// sandbox name rules, labels as for sandboxes, and the members only its type can use.
public struct HeldNamespaceRequest: Sendable, Decodable {
    public var type: NamespaceType?
    public var name: String?
    public var labels: [String: String]?
    public var uidMappings: [SandboxSpecRequest.StrictMapping]?
    public var gidMappings: [SandboxSpecRequest.StrictMapping]?
    public var timeOffsets: SandboxSpecRequest.StrictTimeOffsets?

    enum Keys: String, CodingKey, CaseIterable { case type, name, labels, uidMappings, gidMappings, timeOffsets }

    public init(from decoder: Decoder) throws {
        try checkMembers(decoder, allowed: Keys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: Keys.self)
        type = try c.decodeIfPresent(NamespaceType.self, forKey: .type)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        uidMappings = try c.decodeIfPresent([SandboxSpecRequest.StrictMapping].self, forKey: .uidMappings)
        gidMappings = try c.decodeIfPresent([SandboxSpecRequest.StrictMapping].self, forKey: .gidMappings)
        timeOffsets = try c.decodeIfPresent(SandboxSpecRequest.StrictTimeOffsets.self, forKey: .timeOffsets)
    }

    /// What to make, checked.
    public struct Resolved: Sendable, Equatable {
        public var type: NamespaceType
        public var name: String
        public var labels: [String: String]
        public var uidMappings: [SandboxSpec.IDMapping]?
        public var gidMappings: [SandboxSpec.IDMapping]?
        public var timeOffsets: SandboxSpec.TimeOffsets?
    }

    /// A held namespace's name follows the sandbox name rules.
    public static func isValidName(_ name: String) -> Bool { (try? checkName(name)) != nil }

    /// The sandbox name rules, and not only digits: a reference of digits is an inode.
    static func checkName(_ name: String) throws(SpecError) {
        try SpecRule.name(name)
        guard name.utf8.contains(where: { !(48...57).contains($0) }) else {
            throw SpecError("name", "must not be only digits (a reference of digits is an inode)")
        }
    }

    public func resolve() throws(SpecError) -> Resolved {
        guard let type else {
            throw SpecError("type", "is required: one of \(NamespaceType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let name else { throw SpecError("name", "is required") }
        try Self.checkName(name)
        let labels = try SpecRule.labels(self.labels ?? [:])
        var resolved = Resolved(type: type, name: name, labels: labels)
        if type == .user {
            resolved.uidMappings = try SpecRule.mappings(
                uidMappings?.map(\.value) ?? SandboxSpec.defaultMapping, member: "uidMappings")
            resolved.gidMappings = try SpecRule.mappings(
                gidMappings?.map(\.value) ?? SandboxSpec.defaultMapping, member: "gidMappings")
        } else if uidMappings != nil || gidMappings != nil {
            throw SpecError(uidMappings != nil ? "uidMappings" : "gidMappings", "only a \"user\" namespace has mappings")
        }
        if type == .time {
            let offsets = timeOffsets?.value ?? .init(monotonic: 0, boottime: 0)
            try SpecRule.offset(offsets.monotonic, member: "timeOffsets.monotonic")
            try SpecRule.offset(offsets.boottime, member: "timeOffsets.boottime")
            resolved.timeOffsets = offsets
        } else if timeOffsets != nil {
            throw SpecError("timeOffsets", "only a \"time\" namespace has offsets")
        }
        return resolved
    }
}
