import Foundation
import Testing

/// Admission against /proc/sys/user/max_*_namespaces.
///
/// Why this is safe to run in parallel with everything else: those sysctls are per *user
/// namespace* (a new user namespace starts with its own table, all at INT_MAX, and the kernel
/// checks every level). So the default test starts the real `namespaced` binary inside a private
/// user namespace (`unshare --user --map-root-user`) and sets max_uts_namespaces to 0 there only:
/// the host's limit, the other tests of this process and anyone else on the machine are unaffected.
///
/// The variant that lowers the host's own sysctl for the in-process TestServer blocks every new
/// uts namespace machine-wide while it runs (other tests here, other engineers' test runs), so it
/// is opt-in: NSD_TEST_HOST_LIMITS=1. It restores the value in a defer and skips when the file is
/// read-only.
@Suite(.serialized) struct SandboxLimitTests {
    static let sysctl = "/proc/sys/user/max_uts_namespaces"

    @Test func limitReachedInAPrivateUserNamespaceIs429AndLeavesNothing() throws {
        try #require(Host.isRoot, "needs root for unshare --user --map-root-user to map uid 0")
        let binary = builtServerBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the server first: \(binary)")
        let directory = NSTemporaryDirectory() + "nsd-limit-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let state = directory + "/state"
        let server = try Background([
            "unshare", "--user", "--map-root-user", "/bin/sh", "-c",
            "echo 0 > \(Self.sysctl) && exec \"$0\" --listen unix:\(socket) --state-dir \(state)",
            binary,
        ])
        defer { server.stop() }
        try #require(eventually(10) { FileManager.default.fileExists(atPath: socket) }, "the server did not start")

        let limits = try curlUnix(socket, "GET", "/limits")
        let uts = (limits.body["items"] as? [[String: Any]])?.first { $0["type"] as? String == "uts" }
        #expect(uts?["max"] as? Int == 0)
        #expect(Proc.read(Self.sysctl) != "0\n", "the host's own limit is untouched")

        let refused = try curlUnix(
            socket, "POST", "/sandboxes", json: #"{"command": ["sleep", "30"], "namespaces": ["uts"], "privileged": true}"#)
        Self.expectLimitProblem(status: refused.status, body: refused.body)
        #expect((try curlUnix(socket, "GET", "/sandboxes").body["items"] as? [Any])?.count == 0)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: state + "/sandboxes")) ?? []
        #expect(entries.isEmpty, "no sandbox directory left behind: \(entries)")
        #expect(server.descendants.isEmpty, "no sandbox process was started: \(server.descendants)")
        // The default namespaces include uts too.
        let defaults = try curlUnix(socket, "POST", "/sandboxes", json: #"{"command": ["true"]}"#)
        #expect(defaults.status == 429)
        #expect(defaults.body["namespaceType"] as? String == "uts")
    }

    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["NSD_TEST_HOST_LIMITS"] == "1",
            "lowers the host's max_uts_namespaces for a moment; set NSD_TEST_HOST_LIMITS=1"))
    func limitReachedOnTheHostIs429AndLeavesNothing() async throws {
        try #require(Host.isRoot, "needs root to write \(Self.sysctl)")
        let original = try String(contentsOfFile: Self.sysctl, encoding: .utf8)
        guard Self.write(original, to: Self.sysctl) else {
            print("skipping: \(Self.sysctl) is read-only here")
            return
        }
        let server = try TestServer()
        let listBefore = try await server.sandboxList().count
        let directoriesBefore = server.sandboxDirectories
        let refused: HTTPResult
        do {
            defer { _ = Self.write(original, to: Self.sysctl) }
            try #require(Self.write("0\n", to: Self.sysctl))
            refused = try await server.postJSON(
                "/sandboxes", ["command": ["sleep", "30"], "namespaces": ["uts"], "privileged": true])
        }
        #expect(Proc.read(Self.sysctl) == original, "the host's limit is restored")
        Self.expectLimitProblem(status: refused.status, body: refused.json)
        #expect(try await server.sandboxList().count == listBefore)
        #expect(server.sandboxDirectories == directoriesBefore)
        #expect(eventually { Proc.zombieChildren().isEmpty })
    }

    /// One write(2) of the whole text, as procfs wants it.
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return Glibc.write(fd, bytes, bytes.count) == bytes.count
    }

    static func expectLimitProblem(status: Int, body: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 429, "\(body)", sourceLocation: sourceLocation)
        #expect(body["type"] as? String == "urn:namespaced:problem:namespace-limit", sourceLocation: sourceLocation)
        #expect(body["status"] as? Int == 429, sourceLocation: sourceLocation)
        #expect(body["namespaceType"] as? String == "uts", sourceLocation: sourceLocation)
        #expect(body["max"] as? Int == 0, sourceLocation: sourceLocation)
        #expect((body["used"] as? Int).map { $0 >= 0 } == true, sourceLocation: sourceLocation)
        #expect(body["sysctl"] as? String == sysctl, sourceLocation: sourceLocation)
        #expect((body["detail"] as? String ?? "").contains("uts"), sourceLocation: sourceLocation)
    }
}

struct SandboxQuotaTests {
    @Test func maxSandboxesAnswers429WithMaxAndUsed() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let server = try TestServer(quota: 2)
        let first = try await server.createSandbox(["command": ["sleep", "60"]])
        let second = try await server.createSandbox(["command": ["sleep", "60"]])
        let refused = try await server.postJSON("/sandboxes", ["command": ["sleep", "60"]])
        #expect(refused.status == 429)
        #expect(refused.json["type"] as? String == "urn:namespaced:problem:sandbox-quota")
        #expect(refused.json["max"] as? Int == 2)
        #expect(refused.json["used"] as? Int == 2)
        #expect(try await server.get("/sandboxes").items.count == 2)
        // An exited sandbox no longer counts against the quota.
        try await server.deleteSandbox(first["id"] as! String)
        let third = try await server.createSandbox(["command": ["true"]])
        for sandbox in [second, third] { try await server.deleteSandbox(sandbox["id"] as! String) }
    }
}
