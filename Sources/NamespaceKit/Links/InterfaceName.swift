/// A network interface name: what the kernel takes (IFNAMSIZ, no "/", ":" or blanks), narrowed
/// to what is safe to type in a shell and to pass to `ip` (which reads a leading "-" as an option).
public struct InterfaceName: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// IFNAMSIZ less the terminating NUL.
    public static let maxLength = 15
    /// Names the kernel keeps for /proc/sys/net/*/conf/ and refuses for interfaces.
    static let reserved: Set<String> = ["all", "default"]

    public init(_ text: String, member: String) throws(LinkError) {
        let bytes = Array(text.utf8)
        guard (1...Self.maxLength).contains(bytes.count) else {
            throw .invalid(member: member, rule: "must be 1 to \(Self.maxLength) characters (IFNAMSIZ)")
        }
        guard Self.isAlphanumeric(bytes[0]), bytes.allSatisfy(Self.isAllowed) else {
            throw .invalid(member: member, rule: "'\(text)' must start with a letter or digit and hold only A-Z a-z 0-9 _ . -")
        }
        guard !Self.reserved.contains(text) else {
            throw .invalid(member: member, rule: "'\(text)' is reserved by the kernel (/proc/sys/net/ipv4/conf/\(text))")
        }
        description = text
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
