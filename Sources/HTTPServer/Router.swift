/// Matches method and path to a route; `{name}` segments become `Request.parameters`.
/// Routes live in groups, each with its own middleware chain (hummingbird's `RouterGroup` shape):
/// a route answers only through its group's chain. A request no route matches (404, or 405 with
/// `Allow`) is answered through the chain of the fallback group, so an unauthenticated client
/// learns nothing about which paths exist.
public struct Router: Sendable {
    public typealias Handler = @Sendable (Request) throws(Problem) -> Reply

    /// What a route declares beside its handler.
    public struct Route: Sendable {
        public var method: String
        public var pattern: String
        /// The query parameters the route understands; any other is a 400 that names it.
        public var query: Set<String>
        /// The access a caller needs (checked by an authentication middleware, if the group has one).
        public var scope: Scope
        fileprivate var segments: [Segment]
        fileprivate var responder: Responder = { _ in .now(Response(status: 500)) }
    }

    fileprivate enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter(String)
    }

    private var routes: [Route] = []
    private var fallback: Responder

    public init() {
        fallback = Self.unmatched
    }

    /// Adds a group of routes that share `middleware`, first element outermost.
    public mutating func group(_ middleware: [any Middleware], _ build: (inout RouterGroup) -> Void) {
        var group = RouterGroup(middleware: middleware)
        build(&group)
        routes += group.routes
    }

    /// The chain unmatched requests pass through before their 404/405.
    public mutating func setFallback(_ middleware: [any Middleware]) {
        fallback = middleware.wrapping(Self.unmatched)
    }

    /// Every method and path pattern, in the order added (for checking the OpenAPI document).
    public var table: [Route] { routes }

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
            matched.scope = route.scope
            matched.context.route = route.pattern
            return route.responder(matched)
        }
        var unmatched = request
        unmatched.allowed = allowed
        return fallback(unmatched)
    }

    @Sendable private static func unmatched(_ request: Request) -> Reply {
        var allowed = request.allowed
        if allowed.isEmpty {
            return .now(Problem.notFound("no route for \(request.path)").response)
        }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .now(Problem.methodNotAllowed(request.method, path: request.path, allow: allowed).response)
    }

    fileprivate static func split(_ path: String) -> [Substring] {
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

/// Routes that share one middleware chain.
public struct RouterGroup {
    let middleware: [any Middleware]
    fileprivate var routes: [Router.Route] = []

    init(middleware: [any Middleware]) {
        self.middleware = middleware
    }

    /// Adds a route; `query` lists the query parameters it accepts (all others are refused before
    /// the handler runs).
    public mutating func on(
        _ method: String, _ pattern: String, scope: Scope, query: Set<String> = [],
        _ handler: @escaping Router.Handler
    ) {
        let segments = Router.split(pattern).map { part -> Router.Segment in
            part.first == "{" && part.last == "}" ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        let endpoint: Responder = { request in
            do throws(Problem) {
                try Self.checkQuery(request, accepts: query)
                return try handler(request)
            } catch {
                return .now(error.response)
            }
        }
        var route = Router.Route(method: method, pattern: pattern, query: query, scope: scope, segments: segments)
        route.responder = middleware.wrapping(endpoint)
        routes.append(route)
    }

    /// Rejects arguments the route does not know, so a typo is not silently ignored.
    private static func checkQuery(_ request: Request, accepts names: Set<String>) throws(Problem) {
        for (name, _) in request.query where !names.contains(name) {
            let known = names.sorted().joined(separator: ", ")
            throw .badRequest("unknown query parameter '\(name)'; this route accepts \(known.isEmpty ? "none" : known)")
        }
    }
}
