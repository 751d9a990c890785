extension String {
    /// Lower-cases A-Z only: header names are ASCII, and this skips `lowercased()`'s Unicode
    /// machinery (and any copy when there is nothing to change) on every request.
    var asciiLowercased: String {
        guard utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return self }
        return String(decoding: utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
