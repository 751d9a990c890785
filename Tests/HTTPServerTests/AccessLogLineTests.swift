import Foundation
import Testing

@testable import HTTPServer

/// The access-log line checked by Foundation's JSON parser and ISO 8601 formatter: whatever a
/// client puts in its path or query, each line is one valid JSON object.
struct AccessLogLineTests {
    static func format(
        _ request: Request, status: Int = 200, bytes: Int? = 12, route: String? = nil, principal: String? = nil
    ) throws -> [String: Any] {
        let text = withUnsafeTemporaryAllocation(byteCount: AccessLogLine.capacity, alignment: 16) { memory in
            let line = AccessLogLine(
                into: memory, request: request, status: status, bytes: bytes, microseconds: 4321, route: route,
                principal: principal)
            return Array(line.bytes)
        }
        #expect(text.last == 10 && text.dropLast().allSatisfy { $0 != 10 }, "one line")
        return try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any])
    }

    @Test func fieldsInOrderWithNullsWhereUnknown() throws {
        let request = Request(method: "GET", path: "/sandboxes/ab12", peer: Peer(address: "::1"))
        let line = try Self.format(request, route: "/sandboxes/{ref}", principal: "ops")
        #expect(line["remote"] as? String == "::1")
        #expect(line["principal"] as? String == "ops")
        #expect(line["method"] as? String == "GET" && line["path"] as? String == "/sandboxes/ab12")
        #expect(line["route"] as? String == "/sandboxes/{ref}")
        #expect(line["status"] as? Int == 200 && line["bytes"] as? Int == 12 && line["duration_us"] as? Int == 4321)
        #expect(line["query"] == nil)
        let time = try #require(line["time"] as? String)
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(parser.date(from: time), "\(time)")
        #expect(abs(date.timeIntervalSinceNow) < 5)

        let anonymous = try Self.format(request, bytes: nil)
        #expect(anonymous["principal"] is NSNull && anonymous["route"] is NSNull && anonymous["bytes"] is NSNull)
    }

    /// The calendar arithmetic against glibc's gmtime_r: leap days, century years, year ends, and
    /// a spread of instants up to 2200.
    @Test func utcMatchesGmtime() {
        var instants = [0, 951_782_399, 951_782_400, 951_868_800, 1_709_164_800, 1_735_689_599, 4_107_542_400, 7_258_118_399]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { instants.append(Int.random(in: 0..<7_258_118_400, using: &random)) }
        for instant in instants {
            var seconds = time_t(instant)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let expected = (
                Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min),
                Int(parts.tm_sec)
            )
            let computed = AccessLogLine.utc(instant)
            #expect(computed == expected, "\(instant)")
            if computed != expected { break }
        }
    }

    @Test func hostileTextIsEscaped() throws {
        let path = "/a\"b\\c\u{01}\u{1f}\td\n/é/✓/😀"
        let request = Request(
            method: "GET", path: path, query: [("x", "1\"2"), ("y", "a&b\u{7}"), ("flag", "")], peer: Peer(address: "127.0.0.1"))
        let line = try Self.format(request, principal: "CN=a \"quoted\" subject")
        #expect(line["path"] as? String == path)
        #expect(line["query"] as? String == "x=1\"2&y=a&b\u{7}&flag=")
        #expect(line["principal"] as? String == "CN=a \"quoted\" subject")
    }

    @Test func longTextIsCutAtACharacterBoundary() throws {
        // Two-byte characters with the limit falling inside one, and escapes that widen.
        let path = "/" + String(repeating: "é", count: 3000)
        let control = String(repeating: "\u{01}", count: 1000)
        let request = Request(
            method: "GET", path: path, query: [("q", control), ("r", "never reached")], peer: Peer(address: "127.0.0.1"))
        let line = try Self.format(request, principal: String(repeating: "p", count: 5000))
        let logged = try #require(line["path"] as? String)
        #expect(logged.hasSuffix("…") && path.hasPrefix(String(logged.dropLast())))
        #expect(logged.utf8.count <= AccessLogLine.pathLimit && logged.utf8.count > AccessLogLine.pathLimit - 8)
        let query = try #require(line["query"] as? String)
        #expect(query.hasPrefix("q=\u{01}") && query.hasSuffix("…") && !query.contains("never"))
        let principal = try #require(line["principal"] as? String)
        #expect(principal.hasSuffix("…") && principal.utf8.count <= AccessLogLine.shortLimit)
        // A text exactly at the limit is kept whole.
        let exact = "/" + String(repeating: "a", count: AccessLogLine.pathLimit - 1)
        #expect(try Self.format(Request(method: "GET", path: exact))["path"] as? String == exact)
    }
}
