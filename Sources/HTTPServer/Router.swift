/// Matches method and path to a handler; `{name}` segments become `Request.parameters`.
/// An unknown path answers 404, a known path with another method 405 with `Allow`.
public struct Router: Sendable {
    public typealias Handler = @Sendable (Request) throws(Problem) -> Reply

    private enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter(String)
    }

    private struct Route: Sendable {
        var method: String
        var segments: [Segment]
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.first == "{" && part.last == "}" ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    /// Every method and path pattern, in the order added (for checking the OpenAPI document).
    public var table: [(method: String, pattern: String)] {
        routes.map { route in
            let parts = route.segments.map { segment -> String in
                switch segment {
                case .literal(let text): String(text)
                case .parameter(let name): "{\(name)}"
                }
            }
            return (route.method, "/" + parts.joined(separator: "/"))
        }
    }

    public func route(_ request: Request) -> Reply {
        let segments = Self.split(request.path)
        var allowed: [String] = []
        // HEAD is GET without a body; MHD drops the body itself.
        let method = request.method == "HEAD" ? "GET" : request.method
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var matched = request
            matched.parameters = parameters
            do {
                return try route.handler(matched)
            } catch {
                return .now(error.response)
            }
        }
        if allowed.isEmpty {
            return .now(Problem.notFound("no route for \(request.path)").response)
        }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .now(Problem.methodNotAllowed(request.method, path: request.path, allow: allowed).response)
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(_ pattern: [Segment], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            switch expected {
            case .parameter(let name): parameters[name] = String(actual)
            case .literal(let text): if text != actual { return nil }
            }
        }
        return parameters
    }
}
