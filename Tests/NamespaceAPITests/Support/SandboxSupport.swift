import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Sandbox helpers for the end-to-end tests: create, wait, exec, delete through the API, and
/// host-side views of the processes (procfs) and of the server's state directory.
extension TestServer {
    func postJSON(_ path: String, _ object: Any) async throws -> HTTPResult {
        try await send(
            "POST", path, headers: ["Content-Type": "application/json"],
            body: try JSONSerialization.data(withJSONObject: object))
    }

    func postRaw(_ path: String, _ body: Data, contentType: String = "application/json") async throws -> HTTPResult {
        try await send("POST", path, headers: ["Content-Type": contentType], body: body)
    }

    /// POSTs the spec, requires a 201, and returns the Sandbox JSON.
    func createSandbox(_ spec: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let result = try await postJSON("/sandboxes", spec)
        try #require(result.status == 201, "create answered \(result.status): \(result.text)", sourceLocation: sourceLocation)
        return result.json
    }

    /// POST /sandboxes/{id}/wait: the Sandbox once it exited (or at the timeout).
    func waitSandbox(_ reference: String, timeout: Int = 30) async throws -> [String: Any] {
        let result = try await send("POST", "/sandboxes/\(reference)/wait?timeout=\(timeout)")
        #expect(result.status == 200, "wait answered \(result.status): \(result.text)")
        return result.json
    }

    @discardableResult
    func deleteSandbox(_ reference: String) async throws -> Int {
        try await send("DELETE", "/sandboxes/\(reference)").status
    }

    func exec(_ reference: String, _ command: [String], timeout: Double? = nil) async throws -> HTTPResult {
        var body: [String: Any] = ["command": command]
        if let timeout { body["timeout"] = timeout }
        return try await postJSON("/sandboxes/\(reference)/exec", body)
    }

    func signal(_ reference: String, _ signal: Any) async throws -> HTTPResult {
        try await postJSON("/sandboxes/\(reference)/signal", ["signal": signal])
    }

    func logs(_ reference: String, stream: String? = nil) async throws -> String {
        try await get("/sandboxes/\(reference)/logs" + (stream.map { "?stream=\($0)" } ?? "")).text
    }

    /// The logs once `condition` holds on them (polled for up to `seconds`), else the last ones read.
    func logs(
        _ reference: String, stream: String? = nil, within seconds: Double = 10,
        until condition: (String) -> Bool
    ) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = try await logs(reference, stream: stream)
        while !condition(text), Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            text = try await logs(reference, stream: stream)
        }
        return text
    }

    /// Creates a sandbox, runs `body` with it, and always deletes it afterwards.
    func withSandbox<T>(
        _ spec: [String: Any], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: ([String: Any]) async throws -> T
    ) async throws -> T {
        let sandbox = try await createSandbox(spec, sourceLocation: sourceLocation)
        let id = sandbox.id
        do {
            let value = try await body(sandbox)
            #expect(try await deleteSandbox(id) == 204, sourceLocation: sourceLocation)
            return value
        } catch {
            _ = try? await deleteSandbox(id)
            throw error
        }
    }

    func sandboxList(_ query: String = "") async throws -> [[String: Any]] {
        let result = try await get("/sandboxes" + query)
        #expect(result.status == 200, "list answered \(result.status): \(result.text)")
        return result.items
    }

    /// Entries of <stateDir>/sandboxes (none when the directory does not exist yet).
    var sandboxDirectories: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory + "/sandboxes")) ?? []
    }
}

extension [String: Any] {
    var id: String { self["id"] as? String ?? "" }
    var pid: Int32 { (self["pid"] as? NSNumber)?.int32Value ?? 0 }
    var state: String? { self["state"] as? String }
    func namespace(_ type: String) -> UInt64? { ((self["namespaces"] as? [String: Any])?[type] as? NSNumber)?.uint64Value }
}

/// Host-side views of processes, read from procfs as an operator would.
enum Proc {
    /// `Key: value` lines of /proc/PID/status, values with their tabs collapsed to single spaces.
    static func status(_ pid: Int32) -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                .joined(separator: " ")
        }
        return result
    }

    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// The sandbox's command: the only child of its init (polled briefly, the init forks it).
    /// Async and sleeping with Task.sleep: blocking a cooperative thread (2 on a 2-core machine)
    /// would stall the other tests running in parallel.
    static func commandPid(ofInit pid: Int32) async -> Int32? {
        var found: Int32?
        _ = await eventuallyAsync(5) {
            found = children(of: pid).first
            return found != nil
        }
        return found
    }

    /// True when nothing with this pid exists any more, not even a zombie (kill(pid, 0) is ESRCH).
    static func isGone(_ pid: Int32) -> Bool {
        kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Pids of zombie children of `parent`, found by scanning /proc/*/stat.
    static func zombieChildren(of parent: Int32 = getpid()) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] == "Z" && Int32(fields[1]) == parent
        }
    }

    static func uptime() -> Double {
        let text = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }

    /// Reads to EOF: procfs files report size 0 and a table like mountinfo arrives a page per
    /// read, which a read sized by stat would cut short.
    static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Polls an async condition for at most `seconds`.
func eventuallyAsync(_ seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// The default PATH of a sandbox, for specs that set `env`.
let sandboxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/// A tiny busybox root file system in a temporary directory, removed when dropped.
final class BusyboxRootfs: @unchecked Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "nsd-rootfs-\(getpid())-\(UUID().uuidString.prefix(8))"
        let files = FileManager.default
        for directory in ["bin", "dev", "proc"] {
            try files.createDirectory(atPath: path + "/" + directory, withIntermediateDirectories: true)
        }
        try files.copyItem(atPath: "/bin/busybox", toPath: path + "/bin/busybox")
        for applet in ["sh", "ls", "cat", "hostname", "mount", "touch", "echo", "id"] {
            try files.createSymbolicLink(atPath: path + "/bin/" + applet, withDestinationPath: "busybox")
        }
        guard mknod(path + "/dev/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path + "/dev/null"])
        }
    }

    /// What `ls /` should print inside.
    var topLevel: [String] { ["bin", "dev", "proc"] }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The `namespaced` binary built next to this test bundle (any scratch path), else the default build.
var builtServerBinary: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let sibling = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("namespaced").path
    return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : Host.serverBinary
}

/// One request to a server on a unix socket, through curl: (status, body).
func curlUnix(_ socket: String, _ method: String, _ path: String, json: String? = nil) throws -> (
    status: Int, body: [String: Any]
) {
    var arguments = ["curl", "-s", "-X", method, "--unix-socket", socket, "-w", "\n%{http_code}"]
    if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
    let output = try Host.run(arguments + ["http://localhost" + path]).output
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.last ?? "") ?? 0
    let body = lines.dropLast().joined(separator: "\n")
    let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    return (status, object)
}

/// The built `namespaced` binary on a unix socket with a private state directory, for tests whose
/// failure mode may be a server crash: a crash then fails that test instead of aborting the run.
final class SandboxServerProcess: @unchecked Sendable {
    let directory: String
    let socket: String
    let process: Background

    init(prefix: [String] = []) throws {
        directory = NSTemporaryDirectory() + "nsd-proc-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socket = directory + "/api.sock"
        process = try Background(
            prefix + [
                builtServerBinary, "--listen", "unix:\(socket)", "--state-dir", directory + "/state",
                "--cgroup-parent", testCgroupParent(directory),
            ])
        guard eventually(10, { FileManager.default.fileExists(atPath: socket) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: socket])
        }
    }

    var isRunning: Bool { process.process.isRunning }

    func request(_ method: String, _ path: String, json: String? = nil) throws -> (status: Int, body: [String: Any]) {
        try curlUnix(socket, method, path, json: json)
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
