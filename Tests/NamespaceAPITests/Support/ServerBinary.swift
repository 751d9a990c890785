import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `namespaced` binary on an ephemeral loopback port, with what it logs.
final class ServerBinary: Sendable {
    let process: ChildProcess
    let base: String
    let stateDirectory: String
    /// The admin token the server generated in its state directory, sent with every request.
    let adminToken: String
    private let log = LogBuffer()

    var output: String { log.text }
    var pid: Int32 { process.processIdentifier }

    /// - Parameter standardOutput: where the server's stdout goes (a `Pipe` or `FileHandle`);
    ///   nil: into `output` with stderr.
    init(stateDirectory: String, arguments: [String] = [], standardOutput: Any? = nil) throws {
        self.stateDirectory = stateDirectory
        let log = self.log
        let process = ChildProcess()
        self.process = process
        process.executableURL = URL(fileURLWithPath: Host.serverBinary)
        process.arguments =
            [
                "--listen", "127.0.0.1:0", "--state-dir", stateDirectory, "--log-level", "notice",
                "--cgroup-parent", testCgroupParent(stateDirectory),
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NAMESPACED_TOKEN")
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = standardOutput ?? pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            log.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
        var port = ""
        _ = eventually(15) {
            let text = log.text
            guard let range = text.range(of: "listening on 127.0.0.1:") else { return !process.isRunning }
            port = String(text[range.upperBound...].prefix { $0.isNumber })
            return true
        }
        base = "http://127.0.0.1:\(port)"
        adminToken = ((try? String(contentsOfFile: stateDirectory + "/admin.token", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var isListening: Bool { !base.hasSuffix(":") }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    func request(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async throws
        -> HTTPResult
    {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        request.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await TestServer.session.data(for: request)
        return HTTPResult(response: response as! HTTPURLResponse, data: data)
    }
}

/// Sandbox inits whose exit record lies in `stateDirectory`: the sandboxes that really run.
func runningInits(in stateDirectory: String) -> [Int32: String] {
    let root = (stateDirectory as NSString).resolvingSymlinksInPath + "/sandboxes/"
    var result: [Int32: String] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry),
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm == "nsd-init\n",
            let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        else { continue }
        for fd in fds {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                target.hasPrefix(root), target.hasSuffix("/exit")
            {
                result[pid] = String(target.dropFirst(root.count).dropLast(5))
            }
        }
    }
    return result
}

/// Kills every sandbox of a test's state directory.
/// A test's teardown: its sandboxes go, and so do its held namespaces' mounts.
func killSandboxes(in stateDirectory: String) {
    for pid in runningInits(in: stateDirectory).keys { kill(pid, SIGKILL) }
    _ = eventually(5) { runningInits(in: stateDirectory).isEmpty }
    releaseHeldMounts(in: stateDirectory)
}

/// A server that held a namespace leaves `STATE_DIR/ns` mounted (held namespaces outlive it by
/// design); a test's state directory goes with the test, so its mounts go too: detaching `ns`
/// takes every bind below it along.
func releaseHeldMounts(in stateDirectory: String) {
    _ = umount2(stateDirectory + "/ns", Int32(MNT_DETACH))
}

final class LogBuffer: Sendable {
    private let storage = Mutex("")
    var text: String { storage.withLock { $0 } }
    func append(_ more: String) { storage.withLock { $0 += more } }
}
