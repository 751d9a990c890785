#if canImport(Glibc)
import Glibc
#endif

/// One access-log line, a JSON object written byte by byte into memory the caller provides (the
/// request thread's stack): no String is built and nothing is allocated per request.
///
/// `{"time":"2025-01-31T12:00:00.123Z","remote":"127.0.0.1","principal":"admin","method":"GET",
/// "path":"/sandboxes/ab12","query":"stream=stdout","route":"/sandboxes/{ref}","status":200,
/// "bytes":512,"duration_us":87}`: `query` only when the request had one; `principal` and `route`
/// are null when unknown (no authentication reached, no route matched); `bytes` is null for a
/// streamed body. Text fields longer than their limit are cut (at a character boundary) and end in "…".
struct AccessLogLine {
    /// Big enough for every field at its limit, escaped.
    static let capacity = 8192
    static let pathLimit = 2048
    static let queryLimit = 2048
    static let shortLimit = 512

    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    /// Formats the line (with its newline) into `buffer`, which must hold `capacity` bytes.
    init(
        into buffer: UnsafeMutableRawBufferPointer, request: Request, status: Int, bytes: Int?, microseconds: UInt64,
        route: String?, principal: String?
    ) {
        base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        raw("{\"time\":\"")
        timestamp()
        raw("\",\"remote\":")
        string(request.peer.address, limit: Self.shortLimit)
        raw(",\"principal\":")
        optional(principal, limit: Self.shortLimit)
        raw(",\"method\":")
        string(request.method, limit: Self.shortLimit)
        raw(",\"path\":")
        string(request.path, limit: Self.pathLimit)
        if !request.query.isEmpty {
            raw(",\"query\":\"")
            query(request.query)
            byte(UInt8(ascii: "\""))
        }
        raw(",\"route\":")
        optional(route, limit: Self.shortLimit)
        raw(",\"status\":")
        decimal(UInt64(clamping: status))
        raw(",\"bytes\":")
        if let bytes { decimal(UInt64(clamping: bytes)) } else { raw("null") }
        raw(",\"duration_us\":")
        decimal(microseconds)
        raw("}\n")
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    private mutating func byte(_ value: UInt8) {
        base[count] = value
        count += 1
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { for value in $0 { byte(value) } }
    }

    private mutating func optional(_ text: String?, limit: Int) {
        if let text { string(text, limit: limit) } else { raw("null") }
    }

    private mutating func string(_ text: String, limit: Int) {
        byte(UInt8(ascii: "\""))
        escaped(text, limit: limit)
        byte(UInt8(ascii: "\""))
    }

    /// `name=value&...` from the decoded arguments, as one JSON string's content.
    private mutating func query(_ arguments: [(name: String, value: String)]) {
        let end = count + Self.queryLimit
        for (index, argument) in arguments.enumerated() {
            if index > 0 { byte(UInt8(ascii: "&")) }
            guard escaped(argument.name, limit: end - count) else { return }
            byte(UInt8(ascii: "="))
            guard escaped(argument.value, limit: end - count) else { return }
        }
    }

    /// The text as JSON string content, at most `limit` bytes of it; a longer one is cut before
    /// the character that would pass the limit and ends in "…" (then the result is false).
    @discardableResult
    private mutating func escaped(_ text: String, limit: Int) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            // Most text needs no escape and fits: one copy.
            if utf8.count <= limit, !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                if let source = utf8.baseAddress { (base + count).update(from: source, count: utf8.count) }
                count += utf8.count
                return true
            }
            let end = count + limit
            var index = 0
            while index < utf8.count {
                let lead = utf8[index]
                let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                if count + Self.width(lead) > end - 3, Self.width(of: utf8[index...]) > end - count {
                    raw("\u{2026}")
                    return false
                }
                switch lead {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    byte(UInt8(ascii: "\\"))
                    byte(lead)
                case 0..<0x20:
                    raw("\\u00")
                    byte(Self.hex[Int(lead >> 4)])
                    byte(Self.hex[Int(lead & 0xF)])
                default:
                    for offset in 0..<min(length, utf8.count - index) { byte(utf8[index + offset]) }
                }
                index += length
            }
            return true
        }
    }

    /// Bytes a character takes escaped, from its first byte.
    private static func width(_ lead: UInt8) -> Int {
        switch lead {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): 2
        case 0..<0x20: 6
        case 0..<0x80: 1
        case 0..<0xE0: 2
        case 0..<0xF0: 3
        default: 4
        }
    }

    private static func width(of rest: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        rest.reduce(0) { total, value in total + (value & 0xC0 == 0x80 ? 0 : width(value)) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func decimal(_ value: UInt64) {
        let start = count
        var remaining = value
        repeat {
            byte(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        var low = start
        var high = count - 1
        while low < high {
            (base[low], base[high]) = (base[high], base[low])
            low += 1
            high -= 1
        }
    }

    private mutating func padded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            byte(UInt8(ascii: "0") + UInt8(remaining / divisor % 10))
            remaining %= divisor
            divisor /= 10
        }
    }

    /// UTC, milliseconds, as the audit log writes it.
    private mutating func timestamp() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let time = Self.utc(Int(now.tv_sec))
        padded(time.year, width: 4)
        byte(UInt8(ascii: "-"))
        padded(time.month, width: 2)
        byte(UInt8(ascii: "-"))
        padded(time.day, width: 2)
        byte(UInt8(ascii: "T"))
        padded(time.hour, width: 2)
        byte(UInt8(ascii: ":"))
        padded(time.minute, width: 2)
        byte(UInt8(ascii: ":"))
        padded(time.second, width: 2)
        byte(UInt8(ascii: "."))
        padded(now.tv_nsec / 1_000_000, width: 3)
        byte(UInt8(ascii: "Z"))
    }

    /// The UTC calendar time of a Unix time at or after 1970, by arithmetic: glibc's gmtime_r takes
    /// the process-wide time-zone lock, which every request thread would contend for. Days are
    /// counted from 0000-03-01 so that the leap day ends each 4-, 100- and 400-year cycle.
    static func utc(_ seconds: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let days = seconds / 86_400 + 719_468  // 1970-01-01 counted from 0000-03-01
        let secondOfDay = seconds % 86_400
        let era = days / 146_097  // 400-year cycles
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 is March
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }
}
