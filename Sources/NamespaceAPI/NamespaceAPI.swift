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

    /// The server's version: the same in `/version`, `namespaced --version` and the OpenAPI
    /// document's `info.version` (a unit test keeps them equal).
    public static let version = "1.0.0"

    private let entry: Responder
    private let router: Router

    /// - Parameter limitsMaxAge: how old, in seconds, `/limits` counts may be; polling dashboards
    ///   then cost one /proc census per period, not one per request.
    /// The event stream's tuning; the defaults are the server's.
    public struct EventSettings: Sendable {
        /// Events kept for listeners that resume.
        public var ringCapacity = 10_000
        /// Bytes a listener may let wait before it is dropped.
        public var listenerBuffer = 1 << 20
        public var keepAliveSeconds = 15.0

        public init() {}
    }

    let events: EventHub

    public init(
        access: Access, openAPIDocument: String?, sandboxes: SandboxManager, limitsMaxAge: Double = 0.25,
        events eventSettings: EventSettings = EventSettings(), statistics: ServerStatistics = ServerStatistics()
    ) {
        let metrics = APIMetrics(statistics: statistics, store: sandboxes.storeObserver)
        let limits = Limits(usage: sandboxes.usage, maxAge: limitsMaxAge)
        let authentication: [any Middleware] = access.policy.map { [Authentication(policy: $0)] } ?? []
        let events = EventHub(
            source: sandboxes.events, inventory: sandboxes.inventory, ringCapacity: eventSettings.ringCapacity,
            listenerBuffer: eventSettings.listenerBuffer, keepAliveSeconds: eventSettings.keepAliveSeconds,
            onDrop: { [dropped = metrics.listenersDropped] in dropped.increment() })
        var router = Router()
        let service = ServiceRoutes(openAPIDocument: openAPIDocument)
        router.group([ETagging()]) { group in
            service.registerHealth(in: &group)
            DashboardRoutes().register(in: &group)
        }
        router.group(authentication + [ETagging()]) { group in
            service.register(in: &group)
            HeldNamespaceRoutes(manager: sandboxes).register(in: &group)
            NamespaceRoutes(inventory: sandboxes.inventory, held: sandboxes.held, limits: limits, limitsMaxAge: limitsMaxAge)
                .register(in: &group)
            SandboxRoutes(manager: sandboxes, metrics: metrics).register(in: &group)
            LinkRoutes(manager: sandboxes).register(in: &group)
            EventRoutes(hub: events).register(in: &group)
            MetricsRoutes(metrics: metrics, manager: sandboxes, limits: limits, events: events).register(in: &group)
        }
        router.setFallback(authentication)
        // Outermost, so that refusals by the steps below are counted too.
        var outer: [any Middleware] = [RequestMetrics(factory: metrics.factory)]
        if let file = access.audit { outer.append(Audit(file: file, resourceKey: "sandbox", resource: Self.sandboxID)) }
        if let hosts = access.hosts { outer.append(hosts) }
        let routing = router
        self.entry = outer.wrapping { routing.route($0) }
        self.router = router
        self.events = events
    }

    public var routes: [Router.Route] { router.table }

    public func handle(_ request: Request) -> Reply { entry(request) }

    /// The sandbox a request acted on: the one a create named in its Location (a sandbox's, or
    /// a link's below it), or the one named in its path.
    @Sendable static func sandboxID(_ request: Request, _ response: Response) -> String? {
        for path in [response.header("Location"), request.path].compactMap({ $0 }) {
            let parts = path.split(separator: "/")
            if parts.count >= 2, parts[0] == "sandboxes" { return String(parts[1]) }
        }
        return nil
    }
}
