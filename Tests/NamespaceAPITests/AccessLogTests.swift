import Foundation
import Testing

/// The access log of the real server binary, read back from where it was written and compared
/// with what curl saw: one JSON line per request, off the request path, reopened on SIGHUP,
/// flushed within seconds and at exit.
@Suite(.serialized) struct AccessLogTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "nsd-access-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The JSON objects of a log file's complete lines.
    static func lines(_ path: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: 10).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// curl's own account of an exchange: status and body bytes received.
    static func curl(_ server: ServerBinary, _ method: String, _ path: String, token: Bool = true) throws -> (
        status: Int, bytes: Int
    ) {
        var arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-X", method]
        if token { arguments += ["-H", "Authorization: Bearer \(server.adminToken)"] }
        if method == "POST" { arguments += ["-H", "Content-Type: application/json", "--data", "{\"bogus\":1}"] }
        let output = try Host.run(arguments + [server.base + path]).output.split(separator: " ")
        return (Int(output.first ?? "") ?? 0, Int(output.last ?? "") ?? -1)
    }

    static func launch(_ directory: String, _ arguments: [String], standardOutput: Any? = nil) throws -> ServerBinary {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let server = try ServerBinary(
            stateDirectory: directory + "/state", arguments: ["--cgroup-driver", "none"] + arguments,
            standardOutput: standardOutput)
        try #require(server.isListening, "\(server.output)")
        return server
    }

    @Test func oneLinePerRequestAsCurlSawIt() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/access.log"
        let server = try Self.launch(directory, ["--access-log", file])
        defer { server.stop() }
        let requests: [(method: String, path: String, token: Bool, route: Any, principal: Any)] = [
            ("GET", "/healthz", false, "/healthz", NSNull()),
            ("GET", "/namespaces?type=uts", true, "/namespaces", "admin"),
            ("GET", "/namespaces", false, "/namespaces", NSNull()),
            ("GET", "/sandboxes/no-such-sandbox", true, "/sandboxes/{ref}", "admin"),
            ("POST", "/sandboxes", true, "/sandboxes", "admin"),
            ("DELETE", "/healthz", true, NSNull(), "admin"),
        ]
        var seen: [(status: Int, bytes: Int)] = []
        for request in requests { seen.append(try Self.curl(server, request.method, request.path, token: request.token)) }
        #expect(seen.map(\.status) == [200, 200, 401, 404, 400, 405])
        #expect(eventually(5) { Self.lines(file).count >= requests.count }, "\(Self.lines(file))")
        let logged = Self.lines(file)
        try #require(logged.count == requests.count)
        for (index, (request, line)) in zip(requests, logged).enumerated() {
            let path = String(request.path.prefix { $0 != "?" })
            #expect(line["method"] as? String == request.method, "line \(index)")
            #expect(line["path"] as? String == path, "line \(index)")
            #expect(line["status"] as? Int == seen[index].status, "line \(index): \(line)")
            #expect(line["bytes"] as? Int == seen[index].bytes, "line \(index): \(line)")
            #expect(line["remote"] as? String == "127.0.0.1")
            #expect((line["route"] as? NSObject) == (request.route as? NSObject), "line \(index): \(line)")
            #expect((line["principal"] as? NSObject) == (request.principal as? NSObject), "line \(index): \(line)")
            #expect((line["duration_us"] as? Int ?? -1) >= 0)
        }
        #expect(logged[1]["query"] as? String == "type=uts")
        // Created 0640 less the umask, and never with the token in it.
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        let mask = umask(0)
        umask(mask)
        #expect(mode == 0o640 & ~Int(mask))
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        #expect(!text.contains(server.adminToken))
        #expect(!server.output.contains("\"method\":"), "the file, not stdout")
    }

    /// The default goes to standard output (and nothing to stderr); `off` writes nothing anywhere.
    @Test func defaultIsStandardOutputAndOffWritesNothing() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, arguments) in [("default", [String]()), ("off", ["--access-log", "off"])] {
            let stdout = directory + "/\(name).stdout"
            _ = FileManager.default.createFile(atPath: stdout, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
            let server = try Self.launch(directory + "/\(name)", arguments, standardOutput: handle)
            try handle.close()
            for _ in 0..<3 { #expect(try Self.curl(server, "GET", "/healthz").status == 200) }
            if name == "default" { #expect(eventually(5) { Self.lines(stdout).count == 3 }) } else { usleep(1_500_000) }
            let metrics = try Host.run([
                "curl", "-s", "-H", "Authorization: Bearer \(server.adminToken)", server.base + "/metrics",
            ]).output
            server.stop()
            let logged = Self.lines(stdout)
            if name == "default" {
                #expect(
                    logged.count == 4
                        && logged.allSatisfy { $0["path"] as? String == "/healthz" || $0["path"] as? String == "/metrics" })
                #expect(metrics.contains("namespaced_access_log_lines_total 3"), "three written by the time of the scrape")
            } else {
                #expect(FileManager.default.contents(atPath: stdout)?.isEmpty == true)
                #expect(metrics.contains("namespaced_access_log_lines_total 0"))
            }
            #expect(!server.output.contains("\"method\":"), "\(name): nothing on stderr")
            #expect(metrics.contains("namespaced_access_log_dropped_total 0"))
        }
    }

    /// A file that cannot be opened stops the start with a message naming it.
    @Test func anUnopenableFileIsRefusedAtStart() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Host.serverBinary), "build the server first (make test does)")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Host.runWithStatus([
            Host.serverBinary, "--listen", "127.0.0.1:0", "--state-dir", directory + "/state", "--cgroup-driver", "none",
            "--access-log", directory + "/no-such-directory/access.log",
        ])
        #expect(result.status != 0)
        #expect(
            result.output.contains("cannot open the access log \(directory)/no-such-directory/access.log"), "\(result.output)")
    }

    /// logrotate's way: the file is renamed, SIGHUP, and the server writes to a new file by the name.
    @Test func renamedFileAndSIGHUPGiveANewFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/access.log"
        let server = try Self.launch(directory, ["--access-log", file])
        defer { server.stop() }
        #expect(try Self.curl(server, "GET", "/namespaces?type=before").status == 400)
        #expect(eventually(5) { Self.lines(file).count == 1 })
        try FileManager.default.moveItem(atPath: file, toPath: file + ".1")
        kill(server.pid, SIGHUP)
        #expect(eventually(5) { FileManager.default.fileExists(atPath: file) }, "\(server.output)")
        #expect(server.output.contains("reopened the access log"))
        #expect(try Self.curl(server, "GET", "/namespaces?type=after").status == 400)
        #expect(eventually(5) { Self.lines(file).count == 1 })
        #expect(Self.lines(file + ".1").map { $0["query"] as? String } == ["type=before"])
        #expect(Self.lines(file).map { $0["query"] as? String } == ["type=after"])
    }

    /// Lines reach the file within about a second with no further request, and whatever is still
    /// buffered is written when SIGTERM stops the server.
    @Test func flushedWithinSecondsAndAtExit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/access.log"
        let server = try Self.launch(directory, ["--access-log", file])
        #expect(try Self.curl(server, "GET", "/healthz").status == 200)
        #expect(eventually(3) { Self.lines(file).count == 1 }, "flushed without another request")
        // Sent and stopped at once: these lines are still in memory when SIGTERM comes.
        let port = UInt16(server.base.split(separator: ":").last ?? "") ?? 0
        for index in 0..<20 { #expect(RawClient.exchange(port: port, .get("/healthz?n=\(index)")).status == 400) }
        kill(server.pid, SIGTERM)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        let logged = Self.lines(file)
        #expect(logged.count == 21, "\(logged.count) lines")
        #expect(logged.last?["query"] as? String == "n=19")
    }

    /// Standard output is a pipe nobody reads: the writer is stuck, requests are still answered at
    /// once, the lost lines are counted, and SIGTERM still stops the server.
    @Test func aStuckOutputDropsLinesAndNeverBlocksRequests() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let unread = Pipe()
        let server = try Self.launch(directory, [], standardOutput: unread)
        let port = UInt16(server.base.split(separator: ":").last ?? "") ?? 0
        // Long paths make long lines: the pipe and both halves of the buffer fill in a few hundred.
        let long = "/" + String(repeating: "x", count: 1900)
        let statuses = parallel(4) { _ in (0..<750).map { _ in RawClient.exchange(port: port, .get(long), timeout: 5).status } }
        #expect(statuses.joined().allSatisfy { $0 == 401 }, "every request answered")
        let metrics = RawClient.exchange(
            port: port, RawRequest(method: "GET", target: "/metrics", headers: [("Authorization", "Bearer \(server.adminToken)")])
        )
        let dropped = metrics.text.split(separator: "\n").first { $0.hasPrefix("namespaced_access_log_dropped_total ") }
        #expect((dropped.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0) > 500, "\(dropped ?? "none")")
        let stopping = Date()
        kill(server.pid, SIGTERM)
        #expect(eventually(15) { !server.process.isRunning }, "the stuck writer does not hold up the exit")
        #expect(Date().timeIntervalSince(stopping) < 15)
        server.stop()
        _ = unread
    }
}
