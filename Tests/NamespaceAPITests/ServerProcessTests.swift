import Foundation
import Testing

/// The built `namespaced` binary as an operator runs it: flags, sockets, signals.
@Suite(.serialized) struct ServerProcessTests {
    /// Starts the binary and returns it with what it printed so far.
    static func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> (ChildProcess, Pipe) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: Host.serverBinary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NAMESPACED_TOKEN")
        env.merge(environment) { $1 }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        return (process, pipe)
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "nsd-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func unixSocketIsPrivateAndServes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let (process, _) = try Self.launch(["--listen", "unix:\(socket)", "--state-dir", directory + "/state"])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        #expect(eventually { FileManager.default.fileExists(atPath: socket) })
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let health = try Host.run(["curl", "-s", "--unix-socket", socket, "http://localhost/healthz"])
        #expect(health.output == #"{"status":"ok"}"#)
        let namespaces = try Host.run([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket,
            "http://localhost/namespaces?type=uts",
        ])
        #expect(namespaces.output == "200")
    }

    /// A server copied (or built) without nsd-init beside it refuses to start and says how to build
    /// it, instead of failing every create.
    @Test func refusesToStartWithoutItsSpawner() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let alone = directory + "/namespaced"
        try FileManager.default.copyItem(atPath: Host.serverBinary, toPath: alone)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: alone)
        process.arguments = ["--listen", "127.0.0.1:0", "--state-dir", directory + "/state"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(output.contains("nsd-init is missing") && output.contains("make release"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"), "nothing was made")
    }

    @Test func refusesANonLoopbackAddressWithoutTLS() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (process, pipe) = try Self.launch(["--listen", "0.0.0.0:0", "--state-dir", directory])
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(output.contains("--allow-plaintext"))
    }

    @Test func sigtermStopsCleanlyWithExitZero() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let (process, _) = try Self.launch(
            ["--listen", "unix:\(socket)", "--state-dir", directory + "/state"],
            environment: ["NAMESPACED_TOKEN": "a-token-of-20-bytes!"])
        #expect(eventually { FileManager.default.fileExists(atPath: socket) })
        // Root on the unix socket is authorised by its peer credentials, token or not.
        let authorised = try Host.run([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket,
            "http://localhost/limits",
        ])
        #expect(authorised.output == "200")
        process.terminate()
        #expect(eventually(10) { !process.isRunning })
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func rejectsABadListenAddress() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let (process, pipe) = try Self.launch(["--listen", "nonsense"])
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(output.contains("--listen"))
    }
}
