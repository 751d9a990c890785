#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address with its prefix length, as `ip address add` takes it ("10.200.0.1/24").
/// Refused: a prefix of 0 (a route for every address through the link: the host's default route
/// would lose to it), and addresses no interface should hold (unspecified, loopback, multicast,
/// IPv4 0/8 and 240/4); IPv6 in hexadecimal form only.
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable {
        case ipv4, ipv6

        var length: Int { self == .ipv4 ? 4 : 16 }
        var maxPrefix: Int { length * 8 }
        var addressFamily: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }
    }

    public let family: Family
    public let bytes: [UInt8]
    public let prefix: UInt8

    public init(_ text: String, member: String) throws(LinkError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalid(
                member: member, rule: "'\(text)' must be an address with a prefix length, as 10.200.0.1/24 or fd00::1/64")
        }
        let address = String(parts[0])
        let family: Family = address.contains(":") ? .ipv6 : .ipv4
        if family == .ipv6, address.contains(".") {
            throw .invalid(member: member, rule: "'\(text)': IPv6 addresses in hexadecimal form only (no embedded IPv4)")
        }
        var bytes = [UInt8](repeating: 0, count: family.length)
        guard inet_pton(family.addressFamily, address, &bytes) == 1 else {
            throw .invalid(member: member, rule: "'\(address)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") address")
        }
        let prefixText = parts[1]
        let digits = prefixText.utf8
        guard digits.first != UInt8(ascii: "0"), (1...3).contains(digits.count),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let prefix = Int(prefixText),
            (1...family.maxPrefix).contains(prefix)
        else {
            throw .invalid(
                member: member,
                rule:
                    "the prefix length '/\(prefixText)' must be 1 to \(family.maxPrefix) (/0 would route every address through the link)"
            )
        }
        if let reason = Self.unusable(family, bytes) {
            throw .invalid(member: member, rule: "'\(address)' is \(reason): no interface address")
        }
        self.init(family: family, bytes: bytes, prefix: UInt8(prefix))
    }

    init(family: Family, bytes: [UInt8], prefix: UInt8) {
        self.family = family
        self.bytes = bytes
        self.prefix = prefix
    }

    private static func unusable(_ family: Family, _ bytes: [UInt8]) -> String? {
        switch family {
        case .ipv4:
            if bytes[0] == 0 { return "in 0.0.0.0/8 (this network)" }
            if bytes[0] == 127 { return "a loopback address" }
            if bytes[0] >= 224 && bytes[0] < 240 { return "a multicast address" }
            if bytes[0] >= 240 { return "in 240.0.0.0/4 (reserved, broadcast)" }
        case .ipv6:
            if bytes[0] == 0xff { return "a multicast address" }
            if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes[15] <= 1 {
                return bytes[15] == 0 ? "the unspecified address" : "the loopback address"
            }
        }
        return nil
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(family.addressFamily, bytes, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(prefix)"
    }
}
