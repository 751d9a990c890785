import Foundation
import HTTPServer
import Logging
import NamespaceAPI
import NamespaceKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real libmicrohttpd server on an ephemeral loopback port, in this process.
final class TestServer: Sendable {
    let server: HTTPServer
    let base: String

    let stateDirectory: String
    let sandboxes: SandboxManager
    let api: NamespaceAPI

    /// - Parameter stateDirectory: where the registry lives (default: a fresh one in the temp directory).
    /// - Parameter hiddenPaths: credential files no sandbox may see, as `namespaced` passes them.
    /// - Parameter cgroupDriver: as `--cgroup-driver`; each server gets its own cgroup parent below
    ///   the test process's cgroups (`testCgroupParent`), as servers must not share one.
    init(
        token: String? = nil, threads: Int = 2, perAddressLimit: Int = 1024, quota: Int = 0,
        stateDirectory: String? = nil, hiddenPaths: [String] = [], cgroupDriver: CgroupDriver = .auto,
        reserve: StorageReserve = StorageReserve(),
        events: NamespaceAPI.EventSettings = NamespaceAPI.EventSettings()
    ) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        self.stateDirectory = stateDirectory ?? NSTemporaryDirectory() + "nsd-state-\(getpid())-\(UUID().uuidString.prefix(8))"
        let cgroups = try CgroupLayout.setUp(driver: cgroupDriver, parent: testCgroupParent(self.stateDirectory))
        sandboxes = try SandboxManager(
            stateDirectory: self.stateDirectory, quota: quota, hiddenPaths: hiddenPaths,
            cgroups: cgroups, reserve: reserve)
        let policy = token.map { AccessPolicy(tokens: TokenTable([.init(name: "test", scope: .admin, secret: $0)])) }
        let statistics = ServerStatistics()
        api = NamespaceAPI(
            access: .init(policy: policy), openAPIDocument: "openapi: 3.1.0\n", sandboxes: sandboxes, limitsMaxAge: 0,
            events: events, statistics: statistics)
        var configuration = HTTPServerConfiguration(
            listen: .tcp(host: "127.0.0.1", port: 0), threads: threads,
            perAddressLimit: perAddressLimit)
        configuration.statistics = statistics
        server = try HTTPServer(configuration: configuration, handler: api, logger: logger)
        base = "http://127.0.0.1:\(server.port!)"
    }

    deinit {
        server.stop()
        releaseHeldMounts(in: stateDirectory)
        sandboxes.cgroups.removeEmptyParents()
        for parent in sandboxes.cgroups.parents.values { rmdir((parent as NSString).deletingLastPathComponent) }
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send("GET", path, headers: headers)
    }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        return HTTPResult(response: response as! HTTPURLResponse, data: data)
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 600
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()
}

/// The cgroup parent of a test server: below the test process's own cgroups, one per state
/// directory (a restarted server finds its sandboxes' cgroups again).
func testCgroupParent(_ stateDirectory: String) -> String {
    "namespaced-test/" + (stateDirectory as NSString).lastPathComponent
}

struct HTTPResult: Sendable {
    let response: HTTPURLResponse
    let data: Data

    var status: Int { response.statusCode }
    func header(_ name: String) -> String? { response.value(forHTTPHeaderField: name) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var text: String { String(decoding: data, as: UTF8.self) }
}
