import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - the server under test

/// The built binary on 127.0.0.1:0 with a private state directory; its log goes to a file.
/// Without `token` the server generates its admin token, which `send` then presents on every
/// request; with one, the test presents credentials itself.
final class RobustServer: @unchecked Sendable {
    let process = ChildProcess()
    let directory: String
    let stateDirectory: String
    let logPath: String
    private(set) var port: UInt16 = 0
    /// The generated admin token, added to requests that carry no Authorization of their own.
    private(set) var adminToken: String?

    init(token: String? = nil, arguments: [String] = [], environment extra: [String: String] = [:]) throws {
        let binary = builtServerBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the server first: \(binary)")
        directory = NSTemporaryDirectory() + "nsd-robust-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        stateDirectory = directory + "/state"
        logPath = directory + "/server.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "--listen", "127.0.0.1:0", "--state-dir", stateDirectory, "--log-level", "info",
                "--cgroup-parent", testCgroupParent(directory),
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NAMESPACED_TOKEN")
        if let token { environment["NAMESPACED_TOKEN"] = token }
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        var found: UInt16 = 0
        _ = eventually(15) {
            let text = Proc.read(logPath)
            guard let range = text.range(of: "listening on 127.0.0.1:") else { return !process.isRunning }
            found = UInt16(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            return true
        }
        port = found
        try #require(port != 0, "the server did not start:\n\(Proc.read(logPath))")
        if token == nil, !arguments.contains("--token-file"), !arguments.contains("--tokens-file") {
            let generated = Proc.read(stateDirectory + "/admin.token").trimmingCharacters(in: .whitespacesAndNewlines)
            adminToken = generated.isEmpty ? nil : generated
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { Proc.read(logPath) }

    func send(_ request: RawRequest, timeout: Int = 30) -> RawResponse {
        RawClient.exchange(port: port, authorized(request), timeout: timeout)
    }

    /// The request with the admin token, unless it brings its own Authorization.
    func authorized(_ request: RawRequest) -> RawRequest {
        guard let adminToken, !request.headers.contains(where: { $0.0.lowercased() == "authorization" }) else { return request }
        var copy = request
        copy.headers.append(("Authorization", "Bearer \(adminToken)"))
        return copy
    }

    func get(_ path: String) -> RawResponse { send(.get(path)) }

    var fdCount: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? -1 }

    var fdTargets: [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return fds.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map {
            "\($0)->" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "?")
        }
    }

    /// VmHWM of the server, in KiB.
    var peakRSSKiB: Int {
        Int(Proc.status(pid)["VmHWM"]?.split(separator: " ").first ?? "") ?? 0
    }

    var currentRSSKiB: Int {
        Int(Proc.status(pid)["VmRSS"]?.split(separator: " ").first ?? "") ?? 0
    }

    var sandboxDirectories: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: stateDirectory + "/sandboxes")) ?? []).sorted()
    }

    /// `id=state` of every listed sandbox, in order: what must not change.
    func listSignature() -> String {
        let items = get("/sandboxes").json["items"] as? [[String: Any]] ?? []
        return items.map { "\($0["id"] as? String ?? "?")=\($0["state"] as? String ?? "?")" }.joined(separator: ",")
    }

    func createRunning(name: String) throws -> (id: String, pid: Int32) {
        let created = send(.post("/sandboxes", #"{"name": "\#(name)", "command": ["sleep", "600"]}"#))
        try #require(created.status == 201, "create answered \(created.status): \(created.text)")
        return (created.json["id"] as? String ?? "", (created.json["pid"] as? NSNumber)?.int32Value ?? 0)
    }

    /// Exercises every lazily opened resource once (journal, reaper, exec pipes) before a baseline.
    func warmUp(sandbox: String?) throws {
        _ = get("/healthz")
        _ = get("/limits")
        _ = get("/namespaces?type=pid")
        let created = send(.post("/sandboxes", #"{"command": ["true"]}"#))
        try #require(created.status == 201, "\(created.text)")
        let id = created.json["id"] as? String ?? ""
        _ = send(.post("/sandboxes/\(id)/wait?timeout=10", ""))
        _ = send(.delete("/sandboxes/\(id)"))
        if let sandbox { _ = send(.post("/sandboxes/\(sandbox)/exec", #"{"command": ["true"]}"#)) }
        _ = eventually(3) { Proc.zombieChildren(of: pid).isEmpty }
        usleep(300_000)
    }

    func stop() {
        killSandboxes(in: stateDirectory)
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
