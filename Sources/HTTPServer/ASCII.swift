extension String {
    /// Header names compared case-insensitively: most arrive lower-case already (curl and
    /// HTTP/2-era clients), and those are returned as they are, without a copy.
    var asciiLowercased: String {
        guard utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return self }
        return lowercased()
    }

    /// Header names compared without building lower-cased copies.
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.elementsEqual(other.utf8) { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 97 && (a | 0x20) <= 122)
        }
    }
}
