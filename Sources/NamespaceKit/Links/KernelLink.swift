import CNetlink

/// Reading the fixed-size C members of a link the kernel reported.
enum KernelLink {
    static func name(of link: nsd_link) -> String { string(link.name) }

    static func kind(of link: nsd_link) -> String { string(link.kind) }

    static func mac(of link: nsd_link) -> String {
        let bytes = withUnsafeBytes(of: link.mac) { Array($0.prefix(Int(link.mac_length))) }
        return bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// A NUL-terminated C array member (a tuple in Swift).
    private static func string<T>(_ member: T) -> String {
        withUnsafeBytes(of: member) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
