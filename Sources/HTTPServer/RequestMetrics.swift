import CoreMetrics
import Foundation
import Synchronization

/// Counts every request and times it, by method, route pattern and status: label values come from
/// small fixed sets (never a raw path or an arbitrary method), so the series stay bounded.
public struct RequestMetrics: Middleware {
    private let series: Series
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    public init(factory: any MetricsFactory) {
        self.series = Series(factory: factory)
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        let started = DispatchTime.now().uptimeNanoseconds
        let method = Self.methods.contains(request.method) ? request.method : "other"
        return next(request).map { [series] response in
            let handles = series.handles(method: method, route: request.context.route ?? "unmatched", status: response.status)
            handles.counter.increment()
            handles.timer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds - started))
            return response
        }
    }

    /// The counter and timer of each label set, made once: making them per request had the
    /// metrics library validate names and look the series up on every request.
    final class Series: Sendable {
        struct Key: Hashable {
            var method: String
            var route: String
            var status: Int
        }

        struct Handles: @unchecked Sendable {
            let counter: Counter
            let timer: CoreMetrics.Timer
        }

        private let factory: any MetricsFactory
        private let cache = Mutex<[Key: Handles]>([:])

        init(factory: any MetricsFactory) {
            self.factory = factory
        }

        func handles(method: String, route: String, status: Int) -> Handles {
            let key = Key(method: method, route: route, status: status)
            if let found = cache.withLock({ $0[key] }) { return found }
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            let made = Handles(
                counter: Counter(label: "namespaced_http_requests_total", dimensions: dimensions, factory: factory),
                timer: CoreMetrics.Timer(
                    label: "namespaced_http_request_duration_seconds", dimensions: dimensions, factory: factory))
            return cache.withLock { cached in
                if let found = cached[key] { return found }
                cached[key] = made
                return made
            }
        }
    }
}
