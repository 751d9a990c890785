import HTTPServer
import NamespaceKit

/// The whole HTTP API: authentication, the routes, and validators on what they answer.
public struct NamespaceAPI: HTTPHandler {
    private let router: Router
    private let auth: BearerAuth?

    /// - Parameter token: when set, every route but `GET /healthz` needs it as a bearer token.
    /// - Parameter limitsMaxAge: how old, in seconds, `/limits` counts may be; polling dashboards
    ///   then cost one /proc census per period, not one per request.
    public init(token: String?, openAPIDocument: String?, sandboxes: SandboxManager, limitsMaxAge: Double = 0.25) {
        var router = Router()
        let inventory = sandboxes.inventory
        ServiceRoutes(openAPIDocument: openAPIDocument).register(in: &router)
        NamespaceRoutes(inventory: inventory, limits: Limits(usage: sandboxes.usage, maxAge: limitsMaxAge),
                        limitsMaxAge: limitsMaxAge).register(in: &router)
        SandboxRoutes(manager: sandboxes).register(in: &router)
        self.router = router
        self.auth = token.map(BearerAuth.init(token:))
    }

    public var routes: [(method: String, pattern: String)] { router.table }

    public func handle(_ request: Request) -> Reply {
        let isHealthCheck = request.path == "/healthz" && (request.method == "GET" || request.method == "HEAD")
        if !isHealthCheck, let auth, let problem = auth.check(request) {
            return .now(problem.response)
        }
        switch router.route(request) {
        case .now(let response): return .now(ETag.apply(to: response, for: request))
        case .later(let start): return .later(start)
        }
    }
}
