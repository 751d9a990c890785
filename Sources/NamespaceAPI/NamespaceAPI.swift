import HTTPServer
import NamespaceKit

/// The whole HTTP API: the routes in their groups, and the steps every request passes.
public struct NamespaceAPI: HTTPHandler {
    /// Who may call the API and what is written down about it.
    public struct Access: Sendable {
        /// nil: no authentication step at all (an in-process server of a test).
        public var policy: AccessPolicy?
        public var hosts: HostCheck?
        public var audit: AuditFile?

        public init(policy: AccessPolicy?, hosts: HostCheck? = nil, audit: AuditFile? = nil) {
            self.policy = policy
            self.hosts = hosts
            self.audit = audit
        }
    }

    private let entry: Responder
    private let router: Router

    /// - Parameter limitsMaxAge: how old, in seconds, `/limits` counts may be; polling dashboards
    ///   then cost one /proc census per period, not one per request.
    public init(access: Access, openAPIDocument: String?, sandboxes: SandboxManager, limitsMaxAge: Double = 0.25) {
        let authentication: [any Middleware] = access.policy.map { [Authentication(policy: $0)] } ?? []
        var router = Router()
        let service = ServiceRoutes(openAPIDocument: openAPIDocument)
        router.group([ETagging()]) { service.registerHealth(in: &$0) }
        router.group(authentication + [ETagging()]) { group in
            service.register(in: &group)
            HeldNamespaceRoutes(manager: sandboxes).register(in: &group)
            NamespaceRoutes(inventory: sandboxes.inventory, held: sandboxes.held, limits: Limits(usage: sandboxes.usage, maxAge: limitsMaxAge),
                            limitsMaxAge: limitsMaxAge).register(in: &group)
            SandboxRoutes(manager: sandboxes).register(in: &group)
        }
        router.setFallback(authentication)
        var outer: [any Middleware] = []
        if let file = access.audit { outer.append(Audit(file: file, resourceKey: "sandbox", resource: Self.sandboxID)) }
        if let hosts = access.hosts { outer.append(hosts) }
        let routing = router
        self.entry = outer.wrapping { routing.route($0) }
        self.router = router
    }

    public var routes: [Router.Route] { router.table }

    public func handle(_ request: Request) -> Reply { entry(request) }

    /// The sandbox a request acted on: the one named in its path, or the one a create made.
    @Sendable static func sandboxID(_ request: Request, _ response: Response) -> String? {
        if let location = response.header("Location"), location.hasPrefix("/sandboxes/") {
            return String(location.dropFirst("/sandboxes/".count))
        }
        let parts = request.path.split(separator: "/")
        return parts.count >= 2 && parts[0] == "sandboxes" ? String(parts[1]) : nil
    }
}
