// Members whose JSON differs from the stored properties: computed ones, and a map keyed by type.

extension NamespaceLimit: Encodable {
    enum CodingKeys: String, CodingKey { case type, max, used, available, sysctl }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(max, forKey: .max)
        try c.encode(used, forKey: .used)
        try c.encode(available, forKey: .available)
        try c.encode(sysctl, forKey: .sysctl)
    }
}

/// The inode of every namespace type, in the canonical order, nulls included.
public struct NamespaceInodes: Sendable, Equatable, Encodable {
    public var inodes: [NamespaceType: UInt64?]

    public init(_ inodes: [NamespaceType: UInt64?]) {
        self.inodes = inodes
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for type in NamespaceType.allCases {
            try c.encode(inodes[type] ?? nil, forKey: Key(stringValue: type.rawValue))
        }
    }
}
