/// The ETag step of a route group's chain.
public struct ETagging: Middleware {
    public init() {}

    public func handle(_ request: Request, next: Responder) -> Reply {
        next(request).map { ETag.apply(to: $0, for: request) }
    }
}

/// Strong validators for JSON GETs: a dashboard that polls gets 304 and no body while nothing changed.
public enum ETag {
    /// FNV-1a over the body: stable across restarts (unlike `Hasher`) and cheap for small bodies.
    public static func of(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// Adds an ETag to a successful JSON GET response and turns it into 304 when the client has it.
    public static func apply(to response: Response, for request: Request) -> Response {
        guard request.method == "GET" || request.method == "HEAD", response.status == 200, response.file == nil,
            response.header("Content-Type") == "application/json"
        else { return response }
        // A body served from a cache carries the tag computed once with it.
        let cached = response.header("ETag")
        let tag = cached ?? of(response.body)
        if let candidates = request.header("if-none-match"), matches(candidates, tag) {
            return Response(status: 304, headers: [("ETag", tag)])
        }
        return cached == nil ? response.adding("ETag", tag) : response
    }

    static func matches(_ header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.trimmingCharacters(in: [" ", "\t"])
            return trimmed == "*" || trimmed == tag || trimmed == "W/" + tag
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}
