import HTTPServer
import NamespaceKit

/// `GET /metrics`: Prometheus text exposition.
struct MetricsRoutes: Sendable {
    let metrics: APIMetrics
    let manager: SandboxManager
    let limits: Limits
    let events: EventHub

    func register(in group: inout RouterGroup) {
        group.on("GET", "/metrics", scope: .read) { _ throws(Problem) in
            let current: [NamespaceLimit]
            do throws(SystemError) { current = try limits.current() } catch { throw Problem(error) }
            let body = metrics.render(manager: manager, limits: current, events: events)
            return .now(
                Response(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: body))
        }
    }
}
