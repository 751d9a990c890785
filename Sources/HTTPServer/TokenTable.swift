/// Named bearer tokens with their scopes.
public struct TokenTable: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var scope: Scope
        fileprivate var secret: [UInt8]

        public init(name: String, scope: Scope, secret: String) {
            self.name = name
            self.scope = scope
            self.secret = Array(secret.utf8)
        }
    }

    /// Shorter secrets are refused: 16 bytes is the floor below which guessing over the network
    /// stops being absurd.
    public static let minimumLength = 16

    public private(set) var entries: [Entry]

    public init(_ entries: [Entry]) {
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The entry whose secret equals `offered`. Every entry is compared in full, with no early
    /// exit, so timing reveals neither which entry nor how much of a guess matched.
    public func lookup(_ offered: [UInt8]) -> Entry? {
        offered.withUnsafeBufferPointer { lookup($0) }
    }

    func lookup(_ offered: UnsafeBufferPointer<UInt8>) -> Entry? {
        var found: Int?
        for index in entries.indices where entries[index].secret.withUnsafeBufferPointer({ Self.constantTimeEqual(offered, $0) })
        {
            found = index
        }
        return found.map { entries[$0] }
    }

    /// Parses `NAME SCOPE TOKEN` lines; `#` starts a comment. Throws a message naming the line.
    public static func parse(_ text: String, source: String) throws(TokenFileError) -> TokenTable {
        var entries: [Entry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let place = "\(source):\(index + 1)"
            guard fields.count == 3 else { throw TokenFileError("\(place): expected NAME SCOPE TOKEN") }
            guard let scope = Scope(name: String(fields[1])) else {
                throw TokenFileError("\(place): scope '\(fields[1])' must be read, operate or admin")
            }
            let name = String(fields[0])
            guard !entries.contains(where: { $0.name == name }) else {
                throw TokenFileError("\(place): the name '\(name)' appears twice")
            }
            let secret = String(fields[2])
            try checkSecret(secret, source: place)
            entries.append(Entry(name: name, scope: scope, secret: secret))
        }
        return TokenTable(entries)
    }

    public static func checkSecret(_ secret: String, source: String) throws(TokenFileError) {
        guard secret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw TokenFileError("\(source): the token must be printable ASCII without spaces")
        }
        guard secret.utf8.count >= minimumLength else {
            throw TokenFileError("\(source): the token is \(secret.utf8.count) bytes; at least \(minimumLength) are required")
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in constantTimeEqual(a, b) } }
    }

    /// Runs over the offered length (the secret's length is no secret: the file's mode guards it).
    static func constantTimeEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<a.count {
            difference |= a[i] ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0 && a.count == b.count
    }
}

public struct TokenFileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
