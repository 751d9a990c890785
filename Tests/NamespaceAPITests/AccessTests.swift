import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Who may use the server: generated admin token, scoped tokens, unix peer credentials, the Host
/// check, the audit log and the refusals at start. Real server processes, real curl, real users.
@Suite(.serialized) struct AccessTests {
    static let reader = "reader-token-0123456789"
    static let operator_ = "operate-token-0123456789"
    static let admin = "admin-token-0123456789ab"

    /// Runs curl as uid/gid 65534 (nobody) with no supplementary groups; returns the status code.
    static func curlAsNobody(_ arguments: [String], groups: String? = nil, uid: Int = 65534, gid: Int = 65534) throws -> String {
        var setpriv = ["setpriv", "--reuid=\(uid)", "--regid=\(gid)"]
        setpriv += groups.map { ["--groups=\($0)"] } ?? ["--clear-groups"]
        return try Host.run(setpriv + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + arguments)
            .output
    }

    static func privateFile(_ path: String, _ text: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
    }

    // MARK: - no anonymous TCP

    @Test func anotherUserOnLoopbackWithoutTheTokenGets401AndCannotReadIt() throws {
        try #require(Host.isRoot, "needs root to run curl as nobody")
        let server = try RobustServer()
        defer { server.stop() }
        let token = try #require(server.adminToken)
        #expect(token.count == 43, "32 random bytes in base64url are 43 characters: \(token)")
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let attributes = try FileManager.default.attributesOfItem(atPath: server.stateDirectory + "/admin.token")
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(server.log.contains(server.stateDirectory + "/admin.token"), "the log says where the token is")
        let url = "http://127.0.0.1:\(server.port)"
        let shadow = #"{"command": ["/bin/sh", "-c", "cat /etc/shadow"]}"#
        #expect(
            try Self.curlAsNobody(["-X", "POST", "-H", "Content-Type: application/json", "-d", shadow, url + "/sandboxes"])
                == "401")
        #expect(try Self.curlAsNobody([url + "/namespaces"]) == "401")
        #expect(try Self.curlAsNobody([url + "/healthz"]) == "200")
        let read = try Host.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", server.stateDirectory + "/admin.token",
        ])
        #expect(read.status != 0 && read.output.isEmpty, "nobody cannot read the generated token")
        #expect(server.get("/sandboxes").status == 200, "the generated token works")
        #expect(server.sandboxDirectories.isEmpty)
    }

    @Test func theEnvironmentTokenIsGoneFromProcEnviron() throws {
        let token = "environment-token-0123456789"
        let server = try RobustServer(token: token)
        defer { server.stop() }
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(server.pid)/environ"))
        #expect(environ.range(of: Data(token.utf8)) == nil, "/proc/PID/environ still shows the token")
        #expect(
            server.send(RawRequest(method: "GET", target: "/limits", headers: [("Authorization", "Bearer \(token)")])).status
                == 200)
    }

    // MARK: - unix socket peers

    @Test func unixSocketGroupMembersAreAllowedAndOthersRefused() throws {
        try #require(Host.isRoot, "needs root to run curl as other users")
        let directory = NSTemporaryDirectory() + "nsd-access-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let server = try Background([
            Host.serverBinary, "--listen", "unix:\(socket)", "--state-dir", directory + "/state",
            "--socket-group", "nogroup",
        ])
        defer { server.stop() }
        try #require(eventually(10) { FileManager.default.fileExists(atPath: socket) })
        var st = stat()
        #expect(stat(socket, &st) == 0 && st.st_mode & 0o777 == 0o660 && st.st_gid == 65534, "socket 0660 root:nogroup")
        let target = ["--unix-socket", socket, "http://x/sandboxes"]
        #expect(try Self.curlAsNobody(target) == "200", "primary group nogroup")
        #expect(try Self.curlAsNobody(target, groups: "65534", uid: 4242, gid: 4242) == "200", "supplementary group nogroup")
        #expect(try Self.curlAsNobody(target, uid: 4242, gid: 4242) != "200", "not in the group")
        #expect(
            try Host.run([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket,
                "-H", "Host: evil.example", "http://x/sandboxes",
            ]).output == "200", "root; any Host on a socket")
    }

    @Test func aSecondServerOnALiveSocketRefusesAndTheFirstKeepsServing() throws {
        let directory = NSTemporaryDirectory() + "nsd-access-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let first = try Background([Host.serverBinary, "--listen", "unix:\(socket)", "--state-dir", directory + "/one"])
        defer { first.stop() }
        try #require(eventually(10) { FileManager.default.fileExists(atPath: socket) })
        try #require(eventually(10) { (try? curlUnix(socket, "GET", "/healthz").status) == 200 })
        let second = try Host.runWithStatus([Host.serverBinary, "--listen", "unix:\(socket)", "--state-dir", directory + "/two"])
        #expect(second.status != 0)
        #expect(second.output.contains("a server is listening there"), "\(second.output)")
        #expect(try curlUnix(socket, "GET", "/healthz").status == 200, "the first server still answers on its socket")
    }

    // MARK: - Host header

    @Test func aForeignHostIsMisdirected() throws {
        let server = try RobustServer()
        defer { server.stop() }
        let evil = server.send(RawRequest(method: "GET", target: "/namespaces", headers: [("Host", "evil.example")]))
        #expect(evil.status == 421 && evil.isProblem && evil.json["type"] as? String == "urn:namespaced:problem:misdirected")
        let evilPost = server.send(
            RawRequest(
                method: "POST", target: "/sandboxes",
                headers: [
                    ("Host", "evil.example:\(server.port)"),
                    ("Content-Type", "application/json"),
                ],
                body: Array(#"{"command": ["true"]}"#.utf8)))
        #expect(evilPost.status == 421)
        #expect(server.sandboxDirectories.isEmpty)
        for host in ["localhost", "localhost:\(server.port)", "LocalHost:1", "127.0.0.1:\(server.port)", "[::1]:\(server.port)"] {
            #expect(server.send(RawRequest(method: "GET", target: "/limits", headers: [("Host", host)])).status == 200, "\(host)")
        }
        let allowed = try RobustServer(arguments: ["--allowed-host", "api.example"])
        defer { allowed.stop() }
        #expect(allowed.send(RawRequest(method: "GET", target: "/limits", headers: [("Host", "api.example:443")])).status == 200)
        #expect(allowed.send(RawRequest(method: "GET", target: "/limits", headers: [("Host", "evil.example")])).status == 421)
    }

    // MARK: - framing

    @Test func aSmuggledSecondRequestNeverRuns() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let token = try #require(server.adminToken)
        let smuggled =
            "POST /sandboxes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 45\r\n\r\n"
            + #"{"name": "smuggled", "command": ["sleep", "60"]}"#.prefix(45)
        let head =
            "POST /sandboxes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        let fd = RawClient.connect(port: server.port, timeout: 5)
        defer { close(fd) }
        let bytes = Array((head + smuggled).utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let text = String(decoding: RawClient.readToEnd(fd), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "exactly one response on the connection: \(text)")
        #expect(text.lowercased().contains("connection: close"))
        usleep(300_000)
        #expect(server.sandboxDirectories.isEmpty, "the smuggled create ran")
        #expect((server.get("/sandboxes").json["items"] as? [Any])?.count == 0)
    }

    @Test func aTricklingRequestHeadIsCutAtTheDeadline() throws {
        let server = try RobustServer()
        defer { server.stop() }
        let fd = RawClient.connect(port: server.port, timeout: 30)
        defer { close(fd) }
        let started = Date()
        var cutAfter: Double?
        let first = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        _ = first.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        for index in 0..<25 {
            // One header line a second: never idle long enough for an inactivity timeout.
            let line = Array("X-Slow-\(index): a\r\n".utf8)
            var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pending, 1, 1000) > 0 {
                var byte: UInt8 = 0
                if recv(fd, &byte, 1, 0) <= 0 {
                    cutAfter = Date().timeIntervalSince(started)
                    break
                }
            }
            if line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) < 0 {
                cutAfter = Date().timeIntervalSince(started)
                break
            }
        }
        let seconds = try #require(cutAfter, "the connection was still open after 25 s of trickled headers")
        #expect(seconds >= 9 && seconds < 13, "cut after \(seconds) s; the head deadline is 10 s")
        #expect(server.get("/healthz").status == 200)
    }

    @Test func oneClientCannotTakeEveryWaitSlot() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let sandbox = try server.createRunning(name: "waited")
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        let wait = server.authorized(RawRequest(method: "POST", target: "/sandboxes/\(sandbox.id)/wait?timeout=300")).bytes(
            keepAlive: true)
        for _ in 0..<64 {
            let fd = RawClient.connect(port: server.port)
            _ = wait.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            sockets.append(fd)
        }
        usleep(500_000)
        let refused = server.send(.post("/sandboxes/\(sandbox.id)/wait?timeout=1", ""), timeout: 10)
        #expect(refused.status == 503 && refused.detail.contains("this client"), "\(refused.status) \(refused.text)")
        // Another client address (127.0.0.2 is loopback too) still gets a slot.
        let other = RawClient.exchange(
            port: server.port, server.authorized(.post("/sandboxes/\(sandbox.id)/wait?timeout=1", "")),
            timeout: 10, source: "127.0.0.2")
        #expect(other.status == 200, "\(other.status) \(other.text)")
        for fd in sockets { close(fd) }
        sockets = []
        #expect(eventually(5) { server.send(.delete("/sandboxes/\(sandbox.id)")).status == 204 })
    }

    // MARK: - scoped tokens over every route

    struct RouteCase: Sendable {
        var method: String
        var pattern: String
        var needs: String
        var body: String?
        /// A response that stays open (a stream): read what arrives within two seconds.
        var streams = false
        /// The path to send, when the pattern's placeholders are not the right fill.
        var path: String?
    }

    /// Every route the server has (checked against its table), with the scope it needs.
    static let routes: [RouteCase] = [
        .init(method: "GET", pattern: "/healthz", needs: "none"),
        .init(method: "GET", pattern: "/version", needs: "read"),
        .init(method: "GET", pattern: "/openapi.yaml", needs: "read"),
        .init(method: "GET", pattern: "/namespaces", needs: "read"),
        .init(method: "GET", pattern: "/namespaces/{type}/{inode}", needs: "read"),
        .init(method: "GET", pattern: "/processes/{pid}/namespaces", needs: "read"),
        .init(method: "GET", pattern: "/limits", needs: "read"),
        .init(method: "GET", pattern: "/sandboxes", needs: "read"),
        .init(method: "GET", pattern: "/sandboxes/{ref}", needs: "read"),
        .init(method: "GET", pattern: "/sandboxes/{ref}/logs", needs: "read"),
        .init(method: "GET", pattern: "/sandboxes/{ref}/stats", needs: "read"),
        .init(method: "POST", pattern: "/sandboxes", needs: "operate", body: #"{"command": ["sleep", "60"]}"#),
        .init(method: "POST", pattern: "/sandboxes/{ref}/wait", needs: "operate"),
        .init(method: "POST", pattern: "/sandboxes/{ref}/signal", needs: "operate", body: #"{"signal": "SIGCONT"}"#),
        .init(method: "POST", pattern: "/sandboxes/{ref}/exec", needs: "operate", body: #"{"command": ["true"]}"#),
        // Links: `acc0` made in each sandbox beforehand, `acc2` in the held net namespace `aclnet`.
        .init(method: "GET", pattern: "/sandboxes/{ref}/links", needs: "read"),
        .init(method: "GET", pattern: "/sandboxes/{ref}/links/{name}", needs: "read", path: "acc0"),
        .init(method: "POST", pattern: "/sandboxes/{ref}/links", needs: "admin", body: #"{"name": "acc1"}"#),
        .init(method: "DELETE", pattern: "/sandboxes/{ref}/links/{name}", needs: "admin", path: "acc0"),
        .init(method: "DELETE", pattern: "/sandboxes/{ref}", needs: "operate"),
        .init(method: "GET", pattern: "/events", needs: "read", streams: true),
        .init(method: "GET", pattern: "/metrics", needs: "read"),
        .init(method: "GET", pattern: "/ui/", needs: "none"),
        .init(method: "GET", pattern: "/ui/{asset}", needs: "none"),
        .init(method: "POST", pattern: "/namespaces", needs: "operate", body: #"{"type": "uts", "name": "acl"}"#),
        .init(method: "DELETE", pattern: "/namespaces/{type}/{inode}", needs: "operate", path: "/namespaces/uts/acl"),
        .init(method: "GET", pattern: "/namespaces/net/{ref}/links", needs: "read", path: "/namespaces/net/aclnet/links"),
        .init(
            method: "GET", pattern: "/namespaces/net/{ref}/links/{name}", needs: "read",
            path: "/namespaces/net/aclnet/links/acc2"),
        .init(
            method: "POST", pattern: "/namespaces/net/{ref}/links", needs: "admin", body: #"{"name": "acc3"}"#,
            path: "/namespaces/net/aclnet/links"),
        .init(
            method: "DELETE", pattern: "/namespaces/net/{ref}/links/{name}", needs: "admin",
            path: "/namespaces/net/aclnet/links/acc2"),
    ]

    @Test func everyRouteAnswersEachScopeAsTheTableSays() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let directory = NSTemporaryDirectory() + "nsd-tokens-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokens = directory + "/tokens"
        try Self.privateFile(
            tokens, "# name scope token\nreader read \(Self.reader)\nops operate \(Self.operator_)\nroot admin \(Self.admin)\n")
        let server = try RobustServer(arguments: ["--tokens-file", tokens])
        defer { server.stop() }

        let served = Set(try TestServer().api.routes.map { "\($0.method) \($0.pattern)" })
        #expect(served == Set(Self.routes.map { "\($0.method) \($0.pattern)" }), "the table covers every route")
        let inode = Host.readlinkInode("/proc/self/ns/uts") ?? 0
        let rank = ["none": 0, "read": 1, "operate": 2, "admin": 3]
        func asAdmin(_ method: String, _ target: String, _ body: String? = nil) -> RawResponse {
            var request = RawRequest(method: method, target: target, headers: [("Authorization", "Bearer \(Self.admin)")])
            if let body {
                request.headers.append(("Content-Type", "application/json"))
                request.body = Array(body.utf8)
            }
            return server.send(request)
        }
        try #require(asAdmin("POST", "/namespaces", #"{"type": "net", "name": "aclnet"}"#).status == 201)
        defer { _ = asAdmin("DELETE", "/namespaces/net/aclnet?force=true") }
        try #require(asAdmin("POST", "/namespaces/net/aclnet/links", #"{"name": "acc2"}"#).status == 201)
        for (name, token, level) in [("reader", Self.reader, 1), ("ops", Self.operator_, 2), ("root", Self.admin, 3)] {
            let sandbox = asAdmin("POST", "/sandboxes", #"{"command": ["sleep", "60"]}"#)
            try #require(sandbox.status == 201)
            let id = sandbox.json["id"] as? String ?? ""
            try #require(asAdmin("POST", "/sandboxes/\(id)/links", #"{"name": "acc0"}"#).status == 201)
            for route in Self.routes {
                let path =
                    (route.path.map { $0.hasPrefix("/") ? $0 : "/sandboxes/\(id)/links/\($0)" })
                    ?? route.pattern.replacingOccurrences(of: "{ref}", with: id).replacingOccurrences(of: "{type}", with: "uts")
                    .replacingOccurrences(of: "{inode}", with: String(inode)).replacingOccurrences(of: "{pid}", with: "1")
                    .replacingOccurrences(of: "{asset}", with: "app.js")
                    + (route.pattern.hasSuffix("/wait") ? "?timeout=0" : "")
                var request = RawRequest(method: route.method, target: path, headers: [("Authorization", "Bearer \(token)")])
                if let body = route.body {
                    request.headers.append(("Content-Type", "application/json"))
                    request.body = Array(body.utf8)
                }
                let answer = server.send(request, timeout: route.streams ? 2 : 30)
                if rank[route.needs]! <= level {
                    #expect(answer.status / 100 == 2, "\(name) \(route.method) \(route.pattern): \(answer.status) \(answer.text)")
                } else {
                    #expect(
                        answer.status == 403 && answer.isProblem
                            && answer.json["type"] as? String == "urn:namespaced:problem:forbidden",
                        "\(name) \(route.method) \(route.pattern): \(answer.status) \(answer.text)")
                }
                if let created = answer.json["id"] as? String, answer.status == 201 {
                    _ = server.send(
                        RawRequest(
                            method: "DELETE", target: "/sandboxes/\(created)",
                            headers: [("Authorization", "Bearer \(Self.admin)")]))
                }
            }
            _ = server.send(
                RawRequest(method: "DELETE", target: "/sandboxes/\(id)", headers: [("Authorization", "Bearer \(Self.admin)")]))
        }

        // The audit log: one JSON line per changing request, refusals included, never a token.
        let audit = Proc.read(server.stateDirectory + "/audit.log")
        for secret in [Self.reader, Self.operator_, Self.admin] {
            #expect(!audit.contains(secret), "a token is in the audit log")
        }
        let lines = audit.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == audit.split(separator: "\n").count, "every line is JSON")
        #expect(!lines.contains { $0["method"] as? String == "GET" }, "reads are not audited")
        let refusals = lines.filter { $0["status"] as? Int == 403 }
        let byReader = refusals.filter { $0["principal"] as? String == "reader" }
        let byOps = refusals.filter { $0["principal"] as? String == "ops" }
        #expect(byReader.count == 11, "reader refused on the eleven changing routes: \(byReader.count)")
        #expect(byOps.count == 4, "ops refused on the four link changes: \(byOps.count)")
        #expect(byOps.allSatisfy { ($0["path"] as? String)?.contains("/links") == true })
        #expect(refusals.count == 15 && refusals.allSatisfy { $0["remote"] as? String == "127.0.0.1" })
        let creates = lines.filter { $0["status"] as? Int == 201 && $0["path"] as? String == "/sandboxes" }
        #expect(creates.count == 5 && creates.allSatisfy { ($0["sandbox"] as? String)?.count == 32 })
        #expect(
            lines.filter { $0["status"] as? Int == 201 && $0["path"] as? String == "/namespaces" }.count == 3,
            "ops and root held a namespace, and admin aclnet")
        #expect(
            lines.contains {
                $0["principal"] as? String == "ops" && $0["method"] as? String == "DELETE" && $0["status"] as? Int == 204
            })
        #expect(lines.allSatisfy { $0["time"] is String && $0["path"] is String })
        let unauthenticated = server.send(
            RawRequest(method: "DELETE", target: "/sandboxes/x", headers: [("Authorization", "Bearer wrong-token-000000000")]))
        #expect(unauthenticated.status == 401)
        let last = Proc.read(server.stateDirectory + "/audit.log").split(separator: "\n").last.map(String.init) ?? ""
        #expect(
            last.contains(#""status":401"#) && last.contains(#""principal":null"#) && !last.contains("wrong-token"), "\(last)")
    }

    @Test func sighupReloadsTheTokensFile() throws {
        let directory = NSTemporaryDirectory() + "nsd-tokens-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokens = directory + "/tokens"
        try Self.privateFile(tokens, "reader read \(Self.reader)\n")
        let server = try RobustServer(arguments: ["--tokens-file", tokens])
        defer { server.stop() }
        let withReader = RawRequest(method: "GET", target: "/limits", headers: [("Authorization", "Bearer \(Self.reader)")])
        let withAdmin = RawRequest(method: "GET", target: "/limits", headers: [("Authorization", "Bearer \(Self.admin)")])
        #expect(server.send(withReader).status == 200)
        #expect(server.send(withAdmin).status == 401)
        try Self.privateFile(tokens, "root admin \(Self.admin)\n")
        kill(server.pid, SIGHUP)
        #expect(eventually(5) { server.send(withAdmin).status == 200 })
        #expect(server.send(withReader).status == 401, "a removed token stops working")
        // A broken file keeps the tokens in force.
        try Self.privateFile(tokens, "root admin short\n")
        kill(server.pid, SIGHUP)
        #expect(eventually(5) { server.log.contains("keeping the current tokens") })
        #expect(server.send(withAdmin).status == 200)
        #expect(server.isRunning)
    }

    // MARK: - refusals at start

    @Test func badCredentialFilesAreRefusedAtStartNamingTheFile() throws {
        let directory = NSTemporaryDirectory() + "nsd-bad-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let readable = directory + "/readable"
        try Self.privateFile(readable, "ops operate \(Self.operator_)\n", mode: 0o644)
        let short = directory + "/short"
        try Self.privateFile(short, "ops operate tooshort\n")
        let badScope = directory + "/scope"
        try Self.privateFile(badScope, "ops superuser \(Self.operator_)\n")
        let shortToken = directory + "/token"
        try Self.privateFile(shortToken, "x\n")
        let cases: [([String], [String: String], String)] = [
            (["--tokens-file", readable], [:], readable),
            (["--tokens-file", short], [:], short),
            (["--tokens-file", badScope], [:], badScope),
            (["--token-file", shortToken], [:], shortToken),
            ([], ["NAMESPACED_TOKEN": "x"], "NAMESPACED_TOKEN"),
            (["--listen", "0.0.0.0:0", "--no-auth", "--allow-plaintext"], [:], "--no-auth"),
        ]
        for (arguments, environment, named) in cases {
            let result = try Host.runWithStatus(
                [Host.serverBinary, "--listen", "127.0.0.1:0", "--state-dir", directory + "/state"] + arguments,
                environment: environment)
            #expect(result.status != 0, "\(arguments) started")
            #expect(result.output.contains(named), "\(arguments): \(result.output)")
        }
        let token = directory + "/state/admin.token"
        #expect(
            !FileManager.default.fileExists(atPath: token)
                || (try? FileManager.default.attributesOfItem(atPath: token)[.posixPermissions] as? Int) == 0o600)
    }

    @Test func noAuthOnLoopbackSaysSoLoudly() throws {
        let server = try RobustServer(arguments: ["--no-auth"])
        defer { server.stop() }
        #expect(server.log.contains("AUTHENTICATION IS OFF"))
        #expect(server.send(RawRequest(method: "GET", target: "/limits")).status == 200)
    }
}
