import Foundation
import Testing
@testable import NamespaceKit

/// The link request rules in Swift and the patterns api/openapi.yaml states for them agree on
/// every input, so a client validating against the document and the server never disagree.
struct LinkRulesTests {
    /// `pattern:` of a schema in components.schemas, read from the document as written.
    static func pattern(of schema: String) throws -> NSRegularExpression {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "    \(schema):"))
        let line = try #require(lines[start...].first { $0.hasPrefix("      pattern: '") })
        let quoted = line.dropFirst("      pattern: '".count).dropLast()
        return try NSRegularExpression(pattern: quoted.replacingOccurrences(of: "''", with: "'"))
    }

    static func matches(_ expression: NSRegularExpression, _ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func isValidAddress(_ text: String) -> Bool { (try? InterfaceAddress(text, member: "a")) != nil }
    static func isValidName(_ text: String) -> Bool { (try? InterfaceName(text, member: "n")) != nil }

    @Test func addressesAtTheirBounds() throws {
        let valid = [
            "10.200.0.1/24", "1.0.0.0/1", "126.255.255.255/32", "128.0.0.1/16", "223.255.255.254/32", "169.254.1.1/16",
            "fd00::1/64", "fe80::1/10", "::2/128", "1::/1", "1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7::/64", "FEFF::1/8",
            "ff0::1/16",
        ]
        let refused = [
            "10.200.0.1", "10.200.0.1/0", "10.200.0.1/33", "10.200.0.1/024", "10.200.0.1/+8", "10.200.0.1/ 8",
            "010.0.0.1/8", "1.2.3/8", "1.2.3.4.5/8", "256.0.0.1/8", "0.0.0.0/8", "0.1.2.3/8", "127.0.0.1/8",
            "224.0.0.1/4", "239.1.1.1/8", "240.0.0.1/4", "255.255.255.255/32", "::/0", "::/64", "::1/128",
            "0:0:0:0:0:0:0:1/128", "::0001/64", "ff02::1/64", "FF00::/8", "::ffff:1.2.3.4/96", "::/129", "1::/129",
            "fe80::1%eth0/64", "1:2:3:4:5:6:7:8:9/64", "1::2::3/64", "10.0.0.1/24/1", "", "/", "10.0.0.1/",
        ]
        for text in valid { #expect(Self.isValidAddress(text), "\(text) is valid") }
        for text in refused { #expect(!Self.isValidAddress(text), "\(text) is refused") }
        #expect(try InterfaceAddress("FD00:0::01/64", member: "a").description == "fd00::1/64")
    }

    @Test func namesAtTheirBounds() {
        for text in ["a", "eth0", "veth-blue", "A.b_c-9", "0", "abcdefghijklmno", "alls", "default0"] {
            #expect(Self.isValidName(text), "\(text) is valid")
        }
        for text in ["", ".", "..", ".a", "-a", "_a", "abcdefghijklmnop", "a/b", "a:b", "a b", "é", "all", "default", "a\n"] {
            #expect(!Self.isValidName(text), "\(text) is refused")
        }
    }

    /// Random strings over the characters addresses and names are made of: the document's pattern
    /// and the Swift rules answer alike.
    @Test func theDocumentsPatternsAreTheRules() throws {
        let address = try Self.pattern(of: "InterfaceAddress")
        let name = try Self.pattern(of: "InterfaceName")
        var generator = SystemRandomNumberGenerator()
        let addressCharacters = Array("0123456789abcdefF:./")
        let nameCharacters = Array("aldefutAZ09_.-/ ")
        var checked = 0
        for _ in 0..<30_000 {
            let length = Int.random(in: 1...24, using: &generator)
            let text = String((0..<length).map { _ in addressCharacters.randomElement(using: &generator)! })
            #expect(Self.matches(address, text) == Self.isValidAddress(text), "'\(text)'")
            let nameText = String((0..<Int.random(in: 1...17, using: &generator)).map { _ in nameCharacters.randomElement()! })
            #expect(Self.matches(name, nameText) == Self.isValidName(nameText), "'\(nameText)'")
            checked += 1
        }
        // The bounds above, through the patterns too.
        for text in ["10.200.0.1/24", "::1/128", "ff02::1/64", "127.0.0.1/8", "fd00::1/64", "::ffff:1.2.3.4/96"] {
            #expect(Self.matches(address, text) == Self.isValidAddress(text), "'\(text)'")
        }
        for text in ["all", "default", "eth0", ".", "-a"] { #expect(Self.matches(name, text) == Self.isValidName(text)) }
        #expect(checked == 30_000)
    }

    @Test func eachMemberIsCheckedOnItsOwn() throws {
        let bad = LinkRequest(name: "eth0", hostName: "veth0", address: "10.0.0.2/24", hostAddress: "10.0.0.1/0")
        #expect(
            throws: LinkError.invalid(
                member: "hostAddress",
                rule: "the prefix length '/0' must be 1 to 32 (/0 would route every address through the link)")
        ) {
            try bad.validated()
        }
        let fine = try LinkRequest(name: "eth0", hostName: "veth0", address: "10.0.0.2/24", hostAddress: "10.0.0.1/24")
            .validated()
        #expect(fine.hostName?.description == "veth0" && fine.address?.description == "10.0.0.2/24")
    }
}
