/// Namespaces pinned by an nsfs bind mount (`ip netns add` makes one in /run/netns), read from
/// the server's own mount table: a namespace with no process left is still alive and listed.
struct NsfsMount: Sendable, Equatable {
    var type: NamespaceType
    var inode: UInt64
    var mountPoint: String
}

enum NsfsMounts {
    static func current() -> [NsfsMount] {
        guard let bytes = ProcFS.read("/proc/self/mountinfo", limit: 64 << 20) else { return [] }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// mountinfo: `id parent major:minor root mountpoint options [optional...] - fstype source super`.
    /// For nsfs the root field reads like `net:[4026532300]`.
    static func parse(_ text: String) -> [NsfsMount] {
        var result: [NsfsMount] = []
        var seen = Set<UInt64>()
        for line in text.split(separator: "\n") where line.contains(" - nsfs ") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let root = fields[3]
            guard let colon = root.firstIndex(of: ":"),
                let type = NamespaceType(rawValue: String(root[..<colon])),
                let open = root.firstIndex(of: "["), let close = root.lastIndex(of: "]"), open < close,
                let inode = UInt64(root[root.index(after: open)..<close])
            else { continue }
            guard seen.insert(inode).inserted else { continue }
            result.append(NsfsMount(type: type, inode: inode, mountPoint: unescape(String(fields[4]))))
        }
        return result
    }

    /// mountinfo escapes space, tab, newline and backslash as three octal digits.
    static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "\\"), i + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
