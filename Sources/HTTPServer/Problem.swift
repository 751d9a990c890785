import Foundation

/// An RFC 9457 problem document. Every error the server answers passes through here.
public struct Problem: Error, Sendable {
    public enum Value: Sendable, Encodable, Equatable {
        case int(Int)
        case string(String)

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
    }

    public var slug: String
    public var title: String
    public var status: Int
    public var detail: String
    public var extensions: [(name: String, value: Value)]
    /// Extra response headers such as `Allow` or `WWW-Authenticate`.
    public var headers: [(name: String, value: String)]

    public init(
        slug: String, title: String, status: Int, detail: String,
        extensions: [(name: String, value: Value)] = [], headers: [(name: String, value: String)] = []
    ) {
        self.slug = slug
        self.title = title
        self.status = status
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    public var type: String { "urn:namespaced:problem:\(slug)" }

    public var response: Response {
        var members: [(String, Value)] = [
            ("type", .string(type)), ("title", .string(title)),
            ("status", .int(status)), ("detail", .string(detail)),
        ]
        members += extensions
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let body = (try? encoder.encode(ProblemMembers(members: members))) ?? Data()
        return Response(
            status: status, headers: [("Content-Type", "application/problem+json")] + headers,
            body: Array(body))
    }
}

extension Problem {
    public static func badRequest(_ detail: String) -> Problem {
        Problem(slug: "invalid-request", title: "Invalid request", status: 400, detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(slug: "not-found", title: "Not found", status: 404, detail: detail)
    }

    public static func methodNotAllowed(_ method: String, path: String, allow: [String]) -> Problem {
        Problem(
            slug: "method-not-allowed", title: "Method not allowed", status: 405,
            detail: "\(method) is not allowed on \(path); allowed: \(allow.joined(separator: ", "))",
            headers: [("Allow", allow.joined(separator: ", "))])
    }

    public static func unauthorized(_ detail: String) -> Problem {
        Problem(
            slug: "unauthorized", title: "Unauthorized", status: 401, detail: detail,
            headers: [("WWW-Authenticate", "Bearer realm=\"namespaced\"")])
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(slug: "forbidden", title: "Forbidden", status: 403, detail: detail)
    }

    public static func misdirected(_ detail: String) -> Problem {
        Problem(slug: "misdirected", title: "Misdirected request", status: 421, detail: detail)
    }

    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            slug: "payload-too-large", title: "Payload too large", status: 413,
            detail: "the request body exceeds the server's limit of \(limit) bytes")
    }

    public static func unsupportedMediaType(_ contentType: String?) -> Problem {
        Problem(
            slug: "unsupported-media-type", title: "Unsupported media type", status: 415,
            detail: "the body must be application/json, not \(contentType ?? "untyped")")
    }

    public static func internalError(_ detail: String) -> Problem {
        Problem(slug: "internal", title: "Internal server error", status: 500, detail: detail)
    }
}

/// The standard members and the extensions, as one JSON object.
private struct ProblemMembers: Encodable {
    var members: [(String, Problem.Value)]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in members { try container.encode(value, forKey: Key(stringValue: name)) }
    }
}
