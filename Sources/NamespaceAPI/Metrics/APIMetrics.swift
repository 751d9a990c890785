import CoreMetrics
import Foundation
import HTTPServer
import NamespaceKit
import Prometheus
import Synchronization

/// The server's Prometheus registry: what happens (requests, creates, syncs) is recorded as it
/// happens through swift-metrics; what is (sandboxes, namespaces, limits, connections) is read
/// when scraped. swift-prometheus writes the exposition format.
final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let statistics: ServerStatistics

    private let sandboxes: [Sandbox.State: Prometheus.Gauge]
    private let namespaces: [NamespaceType: Prometheus.Gauge]
    private let limitMax: [NamespaceType: Prometheus.Gauge]
    private let limitUsed: [NamespaceType: Prometheus.Gauge]
    private let openConnections: Prometheus.Gauge
    private let suspendedWaits: Prometheus.Gauge
    private let openStreams: Prometheus.Gauge
    private let listeners: Prometheus.Gauge
    let listenersDropped: Prometheus.Counter
    private let journalSync: DurationHistogram
    private let snapshotBytes: Prometheus.Gauge
    private let snapshotSeconds: Prometheus.Gauge
    private let accessLogLines: Prometheus.Counter
    private let accessLogDropped: Prometheus.Counter
    /// The access-log counts already added to the counters: the log counts in `statistics`, and
    /// each scrape adds what came since.
    private let accessLogReported = Mutex<(lines: Int, dropped: Int)>((0, 0))

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10), .seconds(30),
    ]

    init(statistics: ServerStatistics, store: StoreObserver) {
        self.statistics = statistics
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        let registry = self.registry
        func perType(_ name: String, _ help: String) -> [NamespaceType: Prometheus.Gauge] {
            Dictionary(
                uniqueKeysWithValues: NamespaceType.allCases.map {
                    ($0, registry.makeGauge(name: name, labels: [("type", $0.rawValue)], help: help))
                })
        }
        sandboxes = Dictionary(
            uniqueKeysWithValues: [Sandbox.State.running, .exited].map {
                (
                    $0,
                    registry.makeGauge(
                        name: "namespaced_sandboxes", labels: [("state", $0.rawValue)],
                        help: "Sandboxes in the registry by state.")
                )
            })
        namespaces = perType(
            "namespaced_namespaces",
            "Live namespaces on the host by type, the initial ones included (as GET /namespaces lists them).")
        limitMax = perType("namespaced_namespace_limit_max", "The max_<type>_namespaces sysctl.")
        limitUsed = perType(
            "namespaced_namespace_limit_used",
            "Namespaces counted against max_<type>_namespaces (the host's initial one left out).")
        openConnections = registry.makeGauge(name: "namespaced_http_open_connections", help: "HTTP connections open now.")
        suspendedWaits = registry.makeGauge(
            name: "namespaced_http_suspended_requests", help: "Requests waiting for a later reply (wait, exec, delete).")
        openStreams = registry.makeGauge(
            name: "namespaced_http_open_streams", help: "Streaming responses open now (event listeners, followed logs).")
        listeners = registry.makeGauge(name: "namespaced_event_listeners", help: "Clients connected to GET /events.")
        listenersDropped = registry.makeCounter(
            name: "namespaced_event_listeners_dropped_total",
            help: "Event listeners dropped because they let more than their buffer wait.")
        journalSync = registry.makeDurationHistogram(
            name: "namespaced_journal_sync_duration_seconds", buckets: Self.latencyBuckets,
            help: "fdatasync of a batch of registry journal entries.")
        snapshotBytes = registry.makeGauge(name: "namespaced_snapshot_bytes", help: "Size of the last registry snapshot written.")
        snapshotSeconds = registry.makeGauge(
            name: "namespaced_snapshot_duration_seconds", help: "Time the last registry snapshot took to write.")
        accessLogLines = registry.makeCounter(
            name: "namespaced_access_log_lines_total", help: "Access-log lines written.")
        accessLogDropped = registry.makeCounter(
            name: "namespaced_access_log_dropped_total",
            help: "Access-log lines lost: the buffer was full (the writer could not keep up) or the write failed.")
        let (journalSync, snapshotBytes, snapshotSeconds) = (journalSync, snapshotBytes, snapshotSeconds)
        store.observe { measurement in
            switch measurement {
            case .journalSync(let seconds):
                journalSync.record(.nanoseconds(Int64(seconds * 1e9)))
            case .snapshot(let bytes, let seconds):
                snapshotBytes.set(to: Double(bytes))
                snapshotSeconds.set(to: seconds)
            }
        }
    }

    /// One create's outcome: `created`, or the slug of the problem it answered.
    func created(result: String, nanoseconds: UInt64?) {
        CoreMetrics.Counter(label: "namespaced_sandbox_creates_total", dimensions: [("result", result)], factory: factory)
            .increment()
        if let nanoseconds {
            CoreMetrics.Timer(label: "namespaced_sandbox_create_duration_seconds", dimensions: [], factory: factory)
                .recordNanoseconds(Int64(clamping: nanoseconds))
        }
    }

    /// The exposition text, with the read-when-scraped families brought up to date first.
    func render(manager: SandboxManager, limits: [NamespaceLimit], events: EventHub) -> [UInt8] {
        let counts = manager.registry.countByState()
        sandboxes[.running]?.set(to: Double(counts.running))
        sandboxes[.exited]?.set(to: Double(counts.exited))
        let initial = HostNamespaces.initial()
        for limit in limits {
            limitMax[limit.type]?.set(to: Double(limit.max))
            limitUsed[limit.type]?.set(to: Double(limit.used))
            namespaces[limit.type]?.set(to: Double(limit.used + (initial[limit.type] == nil ? 0 : 1)))
        }
        openConnections.set(to: Double(statistics.openConnections.load(ordering: .relaxed)))
        suspendedWaits.set(to: Double(statistics.suspendedWaits.load(ordering: .relaxed)))
        openStreams.set(to: Double(statistics.openStreams.load(ordering: .relaxed)))
        listeners.set(to: Double(events.listenerCount))
        accessLogReported.withLock { reported in
            let lines = statistics.accessLogLines.load(ordering: .relaxed)
            let dropped = statistics.accessLogDropped.load(ordering: .relaxed)
            accessLogLines.increment(by: Int64(lines - reported.lines))
            accessLogDropped.increment(by: Int64(dropped - reported.dropped))
            reported = (lines, dropped)
        }
        return registry.emitToBuffer()
    }
}
