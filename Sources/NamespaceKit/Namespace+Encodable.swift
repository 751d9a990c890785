// Members are written in the order of API.md, and absent values as explicit nulls, which is
// what clients of the API read (synthesised Codable would drop them).

extension Namespace: Encodable {
    enum CodingKeys: String, CodingKey {
        case inode, type, nprocs, pid, ppid, command, uid, user, path, parent, owner, sandbox
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inode, forKey: .inode)
        try c.encode(type, forKey: .type)
        try c.encode(nprocs, forKey: .nprocs)
        try c.encode(pid, forKey: .pid)
        try c.encode(ppid, forKey: .ppid)
        try c.encode(command, forKey: .command)
        try c.encode(uid, forKey: .uid)
        try c.encode(user, forKey: .user)
        try c.encode(path, forKey: .path)
        try c.encode(parent, forKey: .parent)
        try c.encode(owner, forKey: .owner)
        try c.encode(sandbox, forKey: .sandbox)
    }
}



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
