import CoreMetrics
import Foundation

/// Counts every request and times it, by method, route pattern and status: label values come from
/// small fixed sets (never a raw path or an arbitrary method), so the series stay bounded.
public struct RequestMetrics: Middleware {
    private let factory: any MetricsFactory
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        let started = DispatchTime.now().uptimeNanoseconds
        let method = Self.methods.contains(request.method) ? request.method : "other"
        return next(request).map { [factory] response in
            let dimensions = [
                ("method", method), ("route", request.context.route ?? "unmatched"), ("status", String(response.status)),
            ]
            Counter(label: "namespaced_http_requests_total", dimensions: dimensions, factory: factory).increment()
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            CoreMetrics.Timer(label: "namespaced_http_request_duration_seconds", dimensions: dimensions, factory: factory)
                .recordNanoseconds(Int64(clamping: elapsed))
            return response
        }
    }
}
