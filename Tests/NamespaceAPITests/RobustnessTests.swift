import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Hostile input, end to end, against the built `namespaced` binary in its own process (a crash
/// fails the test instead of the run). The bar: every bad request gets a 4xx problem document with
/// a useful detail and changes nothing; afterwards the server answers /healthz, GET /sandboxes is
/// unchanged, no directory is left in <stateDir>/sandboxes, the server's fd count is back to its
/// baseline and it has no zombie children.
///
/// Requests go through a raw socket client: URLSession would normalise `..`, refuse `%00` in a
/// path, or refuse to send a 100 KB URL at all.
@Suite(.serialized) struct RobustnessTests {
    // MARK: - the hostile table

    @Test func hostileRequestsAnswerProblemsAndLeaveNothingBehind() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let anchor = try server.createRunning(name: "anchor")
        let sid = anchor.id
        try server.warmUp(sandbox: sid)
        let baseline = server.fdCount
        let listBefore = server.listSignature()
        let directoriesBefore = server.sandboxDirectories

        let cases = RobustnessTests.hostileCases(sandbox: sid)
        for hostile in cases {
            let answer = server.send(hostile.request)
            let label = "\(hostile.name): \(answer.status) \(answer.text.prefix(300))"
            let statusOK = hostile.statuses.contains(answer.status)
            #expect(statusOK, "wrong status — \(label)")
            if hostile.problem && statusOK {
                let isProblem = answer.isProblem
                #expect(isProblem, "not application/problem+json — \(label)")
                if let keyword = hostile.detail {
                    let mentions = answer.detail.lowercased().contains(keyword.lowercased())
                    #expect(mentions, "detail should mention '\(keyword)' — \(label)")
                }
            }
            #expect(server.isRunning, "the server died on: \(hostile.name)")
            if !server.isRunning { break }
        }

        try #require(server.isRunning, "server crashed; log:\n\(server.log.suffix(3000))")
        #expect(server.send(.get("/healthz")).status == 200)
        #expect(server.listSignature() == listBefore, "GET /sandboxes changed")
        #expect(server.sandboxDirectories == directoriesBefore, "a directory was left in <stateDir>/sandboxes")
        #expect(server.get("/sandboxes/\(sid)").json["state"] as? String == "running", "the anchor sandbox was touched")
        #expect(eventually(5) { server.fdCount <= baseline }, "fds: \(server.fdCount) now, \(baseline) before")
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty }, "zombie children of the server")
        #expect(server.send(.delete("/sandboxes/\(sid)")).status == 204)
    }

    struct Hostile: Sendable {
        var name: String
        var request: RawRequest
        var statuses: Set<Int>
        /// A word the problem's detail must contain (the member, the parameter), if any.
        var detail: String?
        /// False for answers libmicrohttpd makes itself (414, 431...), which are not problem documents.
        var problem = true
    }

    static func json(_ value: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
    }

    static func hostileCases(sandbox sid: String) -> [Hostile] {
        func post(_ path: String, _ body: String, type: String? = "application/json", headers: [(String, String)] = [])
            -> RawRequest
        {
            RawRequest(
                method: "POST", target: path, headers: (type.map { [("Content-Type", $0)] } ?? []) + headers,
                body: Array(body.utf8))
        }
        func postBytes(_ path: String, _ body: [UInt8]) -> RawRequest {
            RawRequest(method: "POST", target: path, headers: [("Content-Type", "application/json")], body: body)
        }
        let exec = "/sandboxes/\(sid)/exec"
        let signal = "/sandboxes/\(sid)/signal"
        let wait = "/sandboxes/\(sid)/wait"
        let longValue = String(repeating: "a", count: 100_000)
        let deep = "{\"command\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        var invalidUTF8 = Array(#"{"command": ["/bin/echo", ""#.utf8)
        invalidUTF8 += [0xff, 0xfe, 0xc3]
        invalidUTF8 += Array(#""]}"#.utf8)
        var rawNUL = Array(#"{"command": ["/bin/echo", "a"#.utf8)
        rawNUL += [0]
        rawNUL += Array(#"b"]}"#.utf8)
        let bad: Set<Int> = [400]
        var cases: [Hostile] = [
            // NUL bytes
            Hostile(
                name: "NUL in query value (type)", request: .get("/namespaces?type=pid%00junk"), statuses: bad, detail: "type"),
            Hostile(
                name: "NUL in query value (state)", request: .get("/sandboxes?state=running%00junk"), statuses: bad,
                detail: "state"),
            Hostile(name: "NUL in numeric query (pid)", request: .get("/namespaces?pid=1%00"), statuses: bad, detail: "pid"),
            Hostile(name: "NUL in query name", request: .get("/namespaces?type%00x=pid"), statuses: bad, detail: "type"),
            Hostile(
                name: "NUL in path after the id", request: .get("/sandboxes/\(sid)%00junk"), statuses: [400, 404], detail: nil),
            Hostile(
                name: "NUL in path before /logs", request: .get("/sandboxes/\(sid)%00/logs"), statuses: [400, 404], detail: nil),
            Hostile(name: "NUL in path of a route", request: .get("/limits%00junk"), statuses: [400, 404], detail: nil),
            Hostile(
                name: "raw NUL byte inside a JSON string", request: postBytes("/sandboxes", rawNUL), statuses: bad, detail: nil),
            Hostile(
                name: "\\u0000 in command", request: post("/sandboxes", #"{"command": ["/bin/echo", "a\u0000b"]}"#),
                statuses: bad, detail: "command[1]"),
            Hostile(
                name: "\\u0000 in name", request: post("/sandboxes", #"{"command": ["true"], "name": "a\u0000b"}"#),
                statuses: bad, detail: "name"),
            Hostile(
                name: "\\u0000 in cwd", request: post("/sandboxes", #"{"command": ["true"], "cwd": "/tmp\u0000/x"}"#),
                statuses: bad, detail: "cwd"),
            Hostile(
                name: "\\u0000 in hostname", request: post("/sandboxes", #"{"command": ["true"], "hostname": "a\u0000b"}"#),
                statuses: bad, detail: "hostname"),
            Hostile(
                name: "\\u0000 in a label key",
                request: post("/sandboxes", #"{"command": ["true"], "labels": {"a\u0000b": "x"}}"#), statuses: bad,
                detail: "labels"),
            Hostile(
                name: "\\u0000 in an exec argument", request: post(exec, #"{"command": ["/bin/echo", "a\u0000b"]}"#),
                statuses: bad, detail: "command[1]"),
            Hostile(
                name: "\\u0000 in an exec env value", request: post(exec, #"{"command": ["true"], "env": {"A": "x\u0000"}}"#),
                statuses: bad, detail: "env"),
            // .. and traversal
            Hostile(
                name: "dot-dot segment in the route", request: .get("/sandboxes/../namespaces"), statuses: [400, 404], detail: nil
            ),
            Hostile(
                name: "dot-dot as the sandbox ref of logs", request: .get("/sandboxes/../logs"), statuses: [400, 404], detail: nil
            ),
            Hostile(
                name: "encoded ..%2f..%2fetc as logs id", request: .get("/sandboxes/..%2f..%2fetc/logs"), statuses: [400, 404],
                detail: nil),
            Hostile(
                name: "encoded traversal as the ref", request: .get("/sandboxes/..%2f..%2f..%2fetc%2fpasswd"),
                statuses: [400, 404], detail: nil),
            Hostile(
                name: "%2e%2e as the ref of logs", request: .get("/sandboxes/%2e%2e/logs?stream=stdout"), statuses: [400, 404],
                detail: nil),
            Hostile(
                name: "traversal in the stream parameter", request: .get("/sandboxes/\(sid)/logs?stream=../../../../etc/passwd"),
                statuses: bad, detail: "stream"),
            Hostile(
                name: "rootfs with ..", request: post("/sandboxes", #"{"command": ["true"], "rootfs": "/srv/../etc"}"#),
                statuses: bad, detail: "rootfs"),
            Hostile(
                name: "exec cwd with ..", request: post(exec, #"{"command": ["true"], "cwd": "/tmp/../etc"}"#), statuses: bad,
                detail: "cwd"),
            Hostile(
                name: "name ..", request: post("/sandboxes", #"{"command": ["true"], "name": ".."}"#), statuses: bad,
                detail: "name"),
            Hostile(
                name: "name with a slash", request: post("/sandboxes", #"{"command": ["true"], "name": "a/../b"}"#),
                statuses: bad, detail: "name"),
            // names
            Hostile(
                name: "uppercase name", request: post("/sandboxes", #"{"command": ["true"], "name": "Web-1"}"#), statuses: bad,
                detail: "name"),
            Hostile(
                name: "unicode name", request: post("/sandboxes", #"{"command": ["true"], "name": "wéb-1"}"#), statuses: bad,
                detail: "name"),
            Hostile(
                name: "name with a newline", request: post("/sandboxes", #"{"command": ["true"], "name": "a\nb"}"#),
                statuses: bad, detail: "name"),
            // MHD's own limits
            Hostile(
                name: "100 KB URL", request: .get("/namespaces?type=" + longValue), statuses: [400, 414, 431], detail: nil,
                problem: false),
            Hostile(
                name: "100 KB header", request: RawRequest(method: "GET", target: "/healthz", headers: [("X-Big", longValue)]),
                statuses: [400, 413, 431], detail: nil, problem: false),
            Hostile(
                name: "Content-Length beyond 2^64",
                request: RawRequest(
                    method: "POST", target: "/sandboxes",
                    headers: [("Content-Type", "application/json"), ("Content-Length", "99999999999999999999999")], body: [],
                    automaticLength: false),
                statuses: [400, 413], detail: nil, problem: false),
            // bodies
            Hostile(
                name: "10,000-element argv",
                request: postBytes("/sandboxes", json(["command": Array(repeating: "x", count: 10_000)])), statuses: bad,
                detail: "command"),
            Hostile(name: "JSON nested 10,000 deep", request: post("/sandboxes", deep), statuses: bad, detail: "nesting"),
            Hostile(name: "invalid UTF-8 body", request: postBytes("/sandboxes", invalidUTF8), statuses: bad, detail: nil),
            Hostile(
                name: "unknown member", request: post("/sandboxes", #"{"command": ["true"], "tty": true}"#), statuses: bad,
                detail: "tty"),
            Hostile(
                name: "unknown nested member",
                request: post(
                    "/sandboxes", #"{"command": ["true"], "namespaces": ["user"], "user": {"uid": 0, "gid": 0, "caps": 1}}"#),
                statuses: bad, detail: "caps"),
            Hostile(name: "top-level array", request: post("/sandboxes", "[]"), statuses: bad, detail: nil),
            Hostile(name: "top-level null", request: post("/sandboxes", "null"), statuses: bad, detail: nil),
            Hostile(name: "truncated JSON", request: post("/sandboxes", #"{"command": ["true""#), statuses: bad, detail: nil),
            Hostile(name: "empty body", request: post("/sandboxes", ""), statuses: bad, detail: nil),
            Hostile(
                name: "text/plain body", request: post("/sandboxes", #"{"command": ["true"]}"#, type: "text/plain"),
                statuses: [415], detail: "application/json"),
            Hostile(
                name: "no Content-Type", request: post("/sandboxes", #"{"command": ["true"]}"#, type: nil), statuses: [415],
                detail: "application/json"),
            Hostile(
                name: "2 MiB body", request: postBytes("/sandboxes", Array(repeating: 0x20, count: 2 << 20)), statuses: [413],
                detail: "limit"),
            Hostile(
                name: "absurd uid",
                request: post("/sandboxes", #"{"command": ["true"], "namespaces": ["user"], "user": {"uid": 1e300, "gid": 0}}"#),
                statuses: bad, detail: "uid"),
            Hostile(
                name: "absurd time offset",
                request: post(
                    "/sandboxes",
                    #"{"command": ["true"], "namespaces": ["time"], "timeOffsets": {"boottime": 99999999999999999999}}"#),
                statuses: bad, detail: "boottime"),
            Hostile(
                name: "Idempotency-Key with non-ASCII",
                request: post("/sandboxes", #"{"command": ["true"]}"#, headers: [("Idempotency-Key", "clé")]), statuses: bad,
                detail: "Idempotency-Key"),
            Hostile(
                name: "unknown query parameter on create", request: post("/sandboxes?dryRun=1", #"{"command": ["true"]}"#),
                statuses: bad, detail: "dryRun"),
            Hostile(name: "label filter without key", request: .get("/sandboxes?label=%3Dx"), statuses: bad, detail: "label"),
            // exec
            Hostile(
                name: "exec timeout 1e308", request: post(exec, #"{"command": ["true"], "timeout": 1e308}"#), statuses: bad,
                detail: "timeout"),
            Hostile(
                name: "exec timeout 1e999", request: post(exec, #"{"command": ["true"], "timeout": 1e999}"#), statuses: bad,
                detail: nil),
            Hostile(
                name: "exec timeout -1", request: post(exec, #"{"command": ["true"], "timeout": -1}"#), statuses: bad,
                detail: "timeout"),
            Hostile(
                name: "exec timeout 0", request: post(exec, #"{"command": ["true"], "timeout": 0}"#), statuses: bad,
                detail: "timeout"),
            Hostile(
                name: "exec timeout \"NaN\"", request: post(exec, #"{"command": ["true"], "timeout": "NaN"}"#), statuses: bad,
                detail: "timeout"),
            Hostile(
                name: "exec timeout NaN literal", request: post(exec, #"{"command": ["true"], "timeout": NaN}"#), statuses: bad,
                detail: nil),
            Hostile(
                name: "exec timeout Infinity literal", request: post(exec, #"{"command": ["true"], "timeout": Infinity}"#),
                statuses: bad, detail: nil),
            Hostile(
                name: "exec 10,000-element argv",
                request: postBytes(exec, json(["command": Array(repeating: "x", count: 10_000)])), statuses: bad,
                detail: "command"),
            Hostile(name: "exec empty command", request: post(exec, #"{"command": []}"#), statuses: bad, detail: "command"),
            Hostile(
                name: "exec unknown member", request: post(exec, #"{"command": ["true"], "tty": true}"#), statuses: bad,
                detail: "tty"),
            Hostile(
                name: "exec env key with =", request: post(exec, #"{"command": ["true"], "env": {"A=B": "c"}}"#), statuses: bad,
                detail: "env"),
            // wait
            Hostile(
                name: "wait timeout 99999999999999999999", request: post(wait + "?timeout=99999999999999999999", "", type: nil),
                statuses: bad, detail: "timeout"),
            Hostile(
                name: "wait timeout -1", request: post(wait + "?timeout=-1", "", type: nil), statuses: bad, detail: "timeout"),
            Hostile(
                name: "wait timeout 1.5", request: post(wait + "?timeout=1.5", "", type: nil), statuses: bad, detail: "timeout"),
            Hostile(
                name: "wait timeout 301", request: post(wait + "?timeout=301", "", type: nil), statuses: bad, detail: "timeout"),
            Hostile(
                name: "wait timeout empty", request: post(wait + "?timeout=", "", type: nil), statuses: bad, detail: "timeout"),
            Hostile(
                name: "wait timeout twice", request: post(wait + "?timeout=1&timeout=2", "", type: nil), statuses: bad,
                detail: "timeout"),
            Hostile(
                name: "NUL in wait timeout", request: post(wait + "?timeout=1%00000", "", type: nil), statuses: bad,
                detail: "timeout"),
            // signal
            Hostile(name: "signal 0", request: post(signal, #"{"signal": 0}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal 65", request: post(signal, #"{"signal": 65}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal -9", request: post(signal, #"{"signal": -9}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal 2^40", request: post(signal, #"{"signal": 1099511627776}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal SIGFOO", request: post(signal, #"{"signal": "SIGFOO"}"#), statuses: bad, detail: "SIGFOO"),
            Hostile(name: "signal 1.5", request: post(signal, #"{"signal": 1.5}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal null", request: post(signal, #"{"signal": null}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal empty string", request: post(signal, #"{"signal": ""}"#), statuses: bad, detail: "signal"),
            Hostile(name: "signal missing", request: post(signal, #"{}"#), statuses: bad, detail: "signal"),
            Hostile(
                name: "signal with extra member", request: post(signal, #"{"signal": "TERM", "pid": 1}"#), statuses: bad,
                detail: "pid"),
            // methods
            Hostile(
                name: "PUT /sandboxes", request: RawRequest(method: "PUT", target: "/sandboxes"), statuses: [405], detail: "PUT"),
            Hostile(
                name: "PATCH a sandbox", request: RawRequest(method: "PATCH", target: "/sandboxes/\(sid)"), statuses: [405],
                detail: "PATCH"),
            Hostile(name: "DELETE /healthz", request: .delete("/healthz"), statuses: [405], detail: "DELETE"),
            Hostile(name: "GET exec", request: .get(exec), statuses: [405], detail: "GET"),
            Hostile(name: "DELETE /sandboxes", request: .delete("/sandboxes"), statuses: [405], detail: "DELETE"),
            Hostile(name: "POST /namespaces without a type", request: post("/namespaces", "{}"), statuses: [400], detail: "type"),
            Hostile(
                name: "PUT /namespaces", request: RawRequest(method: "PUT", target: "/namespaces"), statuses: [405], detail: "PUT"
            ),
            Hostile(
                name: "made-up method", request: RawRequest(method: "BREW", target: "/healthz"), statuses: [405, 501],
                detail: nil, problem: false),
            // not found
            Hostile(
                name: "DELETE unknown id", request: .delete("/sandboxes/0123456789abcdef0123456789abcdef"), statuses: [404],
                detail: "0123456789abcdef"),
            Hostile(name: "logs of unknown id", request: .get("/sandboxes/nope/logs"), statuses: [404], detail: "nope"),
        ]
        // Method checks that must not reach the anchor: the wrong method on its own routes.
        cases.append(
            Hostile(
                name: "HEAD exec", request: RawRequest(method: "HEAD", target: exec), statuses: [405], detail: nil, problem: false
            ))
        return cases
    }

    // MARK: - NUL in the path addresses another resource

    /// libmicrohttpd decodes %00 in the path and the server reads the URL as a C string, so
    /// `/sandboxes/<id>%00junk` silently becomes `/sandboxes/<id>`. A DELETE with junk after a NUL
    /// must not remove the sandbox.
    @Test func nulInThePathDoesNotActOnARealSandbox() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let sandbox = try server.createRunning(name: "nul-victim")
        let got = server.send(.get("/sandboxes/\(sandbox.id)%00../../etc/passwd"))
        #expect([400, 404].contains(got.status), "GET with %00 answered \(got.status): \(got.text.prefix(200))")
        let deleted = server.send(.delete("/sandboxes/\(sandbox.id)%00junk"))
        #expect([400, 404].contains(deleted.status), "DELETE with %00 answered \(deleted.status)")
        #expect(server.get("/sandboxes/\(sandbox.id)").status == 200, "the sandbox was deleted through a %00 path")
        _ = server.send(.delete("/sandboxes/\(sandbox.id)"))
    }

    // MARK: - exec timeouts

    /// The exec timeout must hold even when the command closes (or redirects) its stdout and
    /// stderr: otherwise the collector stops polling and waits for the exit without a deadline.
    @Test func execTimeoutHoldsWhenTheCommandClosesItsOutput() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let sandbox = try server.createRunning(name: "quiet")
        let started = Date()
        let body = #"{"command": ["/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 20"], "timeout": 1}"#
        let result = server.send(.post("/sandboxes/\(sandbox.id)/exec", body), timeout: 40)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 6, "exec with timeout 1 took \(elapsed) s")
        #expect(result.status == 200)
        #expect(result.json["signal"] as? String == "SIGKILL", "\(result.text)")
        #expect(server.send(.delete("/sandboxes/\(sandbox.id)")).status == 204)
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty })
    }

    // MARK: - DELETE twice

    @Test func deleteTwiceAndConcurrentDeletesLeaveNothing() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        try server.warmUp(sandbox: nil)
        let baseline = server.fdCount
        let first = try server.createRunning(name: "twice")
        #expect(server.send(.delete("/sandboxes/\(first.id)")).status == 204)
        let again = server.send(.delete("/sandboxes/\(first.id)"))
        let secondOK = again.status == 404 && again.isProblem
        #expect(secondOK, "second DELETE answered \(again.status)")
        #expect(server.send(.delete("/sandboxes/twice")).status == 404)
        // Ten DELETEs of one sandbox at once: every answer is 204 or 404, and the name is free again.
        let second = try server.createRunning(name: "twice")
        let answers = parallel(10) { _ in server.send(.delete("/sandboxes/\(second.id)")).status }
        #expect(answers.allSatisfy { $0 == 204 || $0 == 404 }, "\(answers)")
        #expect(answers.contains(204))
        #expect(server.listSignature() == "", "registry not empty: \(server.listSignature())")
        #expect(eventually(5) { server.sandboxDirectories.isEmpty }, "\(server.sandboxDirectories)")
        let third = try server.createRunning(name: "twice")
        #expect(server.send(.delete("/sandboxes/\(third.id)")).status == 204)
        #expect(eventually(10) { server.fdCount <= baseline + 1 }, "fds \(server.fdCount) > \(baseline) + 1: \(server.fdTargets)")
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty })
    }

    // MARK: - concurrent execs

    @Test func manyConcurrentExecsOnOneSandboxEachGetTheirOwnOutput() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let sandbox = try server.createRunning(name: "busy")
        try server.warmUp(sandbox: sandbox.id)
        let baseline = server.fdCount
        let results = parallel(40) { index in
            server.send(
                .post(
                    "/sandboxes/\(sandbox.id)/exec",
                    #"{"command": ["/bin/sh", "-c", "echo out-\#(index); echo err-\#(index) >&2; exit \#(index % 7)"]}"#),
                timeout: 60)
        }
        for (index, result) in results.enumerated() {
            #expect(result.status == 200, "exec \(index): \(result.status) \(result.text.prefix(200))")
            #expect(result.json["stdout"] as? String == "out-\(index)\n", "exec \(index): \(result.text.prefix(200))")
            #expect(result.json["stderr"] as? String == "err-\(index)\n")
            #expect((result.json["exitCode"] as? NSNumber)?.intValue == index % 7)
        }
        #expect(server.get("/sandboxes/\(sandbox.id)").json["state"] as? String == "running")
        #expect(eventually(5) { server.fdCount <= baseline }, "fds \(server.fdCount) > \(baseline)")
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty }, "zombies: \(Proc.zombieChildren(of: server.pid))")
        #expect(server.send(.delete("/sandboxes/\(sandbox.id)")).status == 204)
    }

    // MARK: - resources after a long mixed run

    @Test func fdsAndZombiesReturnToBaselineAfterBadRequestsAndCycles() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let anchor = try server.createRunning(name: "anchor")
        try server.warmUp(sandbox: anchor.id)
        let baseline = server.fdCount
        let baseTargets = server.fdTargets
        let directories = server.sandboxDirectories
        let hostile = Self.hostileCases(sandbox: anchor.id).filter { !$0.name.contains("100 KB") && !$0.name.contains("2 MiB") }
        // ~300 bad requests, four clients at once.
        // (The %00 cases answer 200 today — see nulInThePath...; this test is about resources.)
        let answers = parallel(4) { worker -> [(String, Int)] in
            (0..<75).map { i in
                let hostile = hostile[(worker * 75 + i) % hostile.count]
                return (hostile.name, server.send(hostile.request).status)
            }
        }.flatMap { $0 }
        #expect(answers.count == 300)
        let non4xx = answers.filter { !$0.0.contains("NUL in") && !(400...499).contains($0.1) }
        #expect(non4xx.isEmpty, "non-4xx: \(non4xx)")
        // 30 create / exec / delete cycles, including failing creates and execs.
        for cycle in 0..<30 {
            let created = server.send(.post("/sandboxes", #"{"command": ["sleep", "60"], "labels": {"cycle": "\#(cycle)"}}"#))
            #expect(created.status == 201, "create \(cycle): \(created.text.prefix(200))")
            let id = created.json["id"] as? String ?? ""
            let exec = server.send(.post("/sandboxes/\(id)/exec", #"{"command": ["/bin/echo", "\#(cycle)"]}"#))
            #expect(exec.json["stdout"] as? String == "\(cycle)\n")
            let missing = server.send(.post("/sandboxes/\(id)/exec", #"{"command": ["/no/such/binary"]}"#))
            #expect(missing.status == 422, "exec of a missing binary: \(missing.status)")
            let badCreate = server.send(.post("/sandboxes", #"{"command": ["/no/such/binary"]}"#))
            #expect(badCreate.status == 422, "create of a missing binary: \(badCreate.status)")
            let badRootfs = server.send(.post("/sandboxes", #"{"command": ["/bin/true"], "rootfs": "/no/such/rootfs"}"#))
            #expect(badRootfs.status == 422, "create with a missing rootfs: \(badRootfs.status)")
            #expect(server.send(.delete("/sandboxes/\(id)")).status == 204)
        }
        #expect(server.send(.get("/healthz")).status == 200)
        #expect(
            server.sandboxDirectories == directories, "left behind: \(Set(server.sandboxDirectories).subtracting(directories))")
        #expect(server.listSignature() == "\(anchor.id)=running", "registry: \(server.listSignature())")
        // One fd of slack: about one full-suite run in five or more ends with a single extra
        // descriptor (not yet explained; see the closing note). A leak per request or per cycle
        // would show as dozens. Both listings are printed to find it.
        #expect(
            eventually(5) { server.fdCount <= baseline + 1 },
            "fds \(server.fdCount) > baseline \(baseline): now \(server.fdTargets), at baseline \(baseTargets)")
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty }, "zombies: \(Proc.zombieChildren(of: server.pid))")
        #expect(server.send(.delete("/sandboxes/\(anchor.id)")).status == 204)
    }

    // MARK: - auth

    @Test func pathTricksDoNotBypassTheBearerToken() throws {
        let server = try RobustServer(token: "review-token-123")
        defer { server.stop() }
        #expect(server.send(.get("/healthz")).status == 200)
        #expect(server.send(RawRequest(method: "HEAD", target: "/healthz")).status == 200)
        let tricks = [
            "/healthz/../limits", "//limits", "/limits/", "/%6cimits", "/healthz/../sandboxes", "/./limits",
            "/healthz%2f..%2flimits", "/HEALTHZ", "/healthz/x", "/namespaces?x=/healthz",
            "//healthz/../../sandboxes",
        ]
        for path in tricks {
            for method in ["GET", "HEAD", "POST", "DELETE"] {
                let answer = server.send(RawRequest(method: method, target: path))
                #expect(answer.status == 401, "\(method) \(path) answered \(answer.status) without a token")
            }
        }
        // Header tricks.
        for value in [
            "Bearer", "Bearer ", "bearer review-token-12", "Bearer  review-token-123",
            "Basic review-token-123", "Bearer review-token-12\u{0}3",
        ] {
            let answer = server.send(RawRequest(method: "GET", target: "/limits", headers: [("Authorization", value)]))
            #expect(answer.status == 401, "Authorization '\(value)' answered \(answer.status)")
        }
        let twice = server.send(
            RawRequest(
                method: "GET", target: "/limits",
                headers: [("Authorization", "Bearer wrong"), ("Authorization", "Bearer review-token-123")]))
        #expect(twice.status == 401, "a second Authorization header was accepted: \(twice.status)")
        #expect(
            server.send(RawRequest(method: "GET", target: "/limits", headers: [("Authorization", "Bearer review-token-123")]))
                .status == 200)
    }

    // MARK: - the access log

    /// A decoded %0a in the URL must not start a forged line in the server's log.
    @Test func encodedNewlinesInTheURLCannotForgeLogLines() throws {
        let server = try RobustServer()
        defer { server.stop() }
        _ = server.send(.get("/nope%0a2099-01-01T00:00:00Z%20notice%20namespaced%3A%20FORGED-LINE"))
        _ = server.send(.get("/nope%0d%0aFORGED-CRLF"))
        _ = server.send(.get("/healthz"))
        _ = eventually(2) { server.log.contains("GET /healthz") }
        let lines = server.log.split(separator: "\n")
        #expect(
            !lines.contains {
                $0.hasPrefix("2099-01-01T00:00:00Z notice namespaced: FORGED-LINE") || $0.hasPrefix("FORGED-CRLF")
            },
            "the access log contains a forged line:\n\(server.log.suffix(600))")
    }

    // MARK: - memory

    /// GET /logs reads the whole log file into memory (and MHD copies it again): a sandbox that
    /// writes 64 MiB makes one request cost that much (or more) of the server's memory.
    @Test func logsOfAChattySandboxDoNotBalloonTheServer() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let created = server.send(.post("/sandboxes", #"{"command": ["/bin/sh", "-c", "head -c 67108864 /dev/zero"]}"#))
        try #require(created.status == 201, "\(created.text)")
        let id = created.json["id"] as? String ?? ""
        #expect(server.send(.post("/sandboxes/\(id)/wait?timeout=60", ""), timeout: 90).json["state"] as? String == "exited")
        let before = server.peakRSSKiB
        let logs = server.send(.get("/sandboxes/\(id)/logs"), timeout: 120)
        let after = server.peakRSSKiB
        #expect(server.isRunning)
        #expect(
            after - before < 32 * 1024,
            "GET /logs raised the server's peak RSS by \((after - before) / 1024) MiB (status \(logs.status), \(logs.body.count) bytes)"
        )
        #expect(server.send(.delete("/sandboxes/\(id)")).status == 204)
    }

    /// A sandbox that writes faster than GET /logs reads (`yes`): the read loop only stops at EOF,
    /// so the request never finishes and the server's memory grows without bound (and the log file
    /// fills the disk at hundreds of MB/s). A watchdog kills the sandbox after 512 MiB of growth or
    /// 8 s so that the test itself stays bounded.
    @Test func logsOfASandboxThatNeverStopsWritingAnswerPromptly() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let created = server.send(.post("/sandboxes", #"{"command": ["yes"]}"#))
        try #require(created.status == 201, "\(created.text)")
        let id = created.json["id"] as? String ?? ""
        let initPid = (created.json["pid"] as? NSNumber)?.int32Value ?? 0
        usleep(300_000)
        let before = server.currentRSSKiB
        let started = Date()
        let finished = ParallelResults<Double>(1)
        let reader = Thread {
            let answer = server.send(.get("/sandboxes/\(id)/logs"), timeout: 20)
            finished.lock.lock()
            finished.results[0] = answer.status == 200 ? Date().timeIntervalSince(started) : -1
            finished.lock.unlock()
        }
        reader.start()
        var grewBy = 0
        var killedAfter: Double?
        while true {
            usleep(100_000)
            finished.lock.lock()
            let done = finished.results[0] != nil
            finished.lock.unlock()
            if done { break }
            grewBy = max(grewBy, server.currentRSSKiB - before)
            if killedAfter == nil, grewBy > 512 * 1024 || Date().timeIntervalSince(started) > 8 {
                killedAfter = Date().timeIntervalSince(started)
                kill(initPid, SIGKILL)
            }
            if Date().timeIntervalSince(started) > 25 { break }
        }
        #expect(
            killedAfter == nil,
            "GET /logs had not answered after \(killedAfter ?? 0) s (server RSS +\(grewBy / 1024) MiB); the sandbox had to be killed"
        )
        #expect(grewBy < 256 * 1024, "server RSS grew by \(grewBy / 1024) MiB while serving the logs")
        #expect(server.isRunning)
        _ = server.send(.delete("/sandboxes/\(id)"), timeout: 60)
    }

    // MARK: - abandoned long polls

    /// A client that gives up on `wait?timeout=300` closes its socket, but the suspended connection
    /// (and its fd) stay until the timeout: 40 abandoned waits must not keep 40 fds for 5 minutes.
    @Test func abandonedWaitsReleaseTheirConnections() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let sandbox = try server.createRunning(name: "waited")
        try server.warmUp(sandbox: sandbox.id)
        let baseline = server.fdCount
        var sockets: [Int32] = []
        for _ in 0..<40 {
            let fd = RawClient.connect(port: server.port)
            let request = server.authorized(RawRequest(method: "POST", target: "/sandboxes/\(sandbox.id)/wait?timeout=300"))
                .bytes(keepAlive: true)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            sockets.append(fd)
        }
        #expect(eventually(5) { server.fdCount >= baseline + 40 })
        for fd in sockets { close(fd) }
        #expect(
            eventually(10) { server.fdCount <= baseline + 2 },
            "40 abandoned waits still hold \(server.fdCount - baseline) fds after 10 s")
        #expect(server.send(.delete("/sandboxes/\(sandbox.id)")).status == 204)
        #expect(
            eventually(10) { server.fdCount <= baseline }, "fds \(server.fdCount) > \(baseline) after the sandbox was deleted")
    }

    // MARK: - concurrency stress on cached counts

    /// /limits (0.25 s cache) and creates (0.5 s admission cache) share one census; hammering both at
    /// once must not crash the server (the age check subtracts UInt64 timestamps taken on different
    /// threads).
    @Test func limitsAndCreatesUnderConcurrentLoadDoNotCrash() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let deadline = Date().addingTimeInterval(15)
        let statuses = parallel(8) { worker -> [Int] in
            var seen: [Int] = []
            while Date() < deadline && server.isRunning {
                if worker < 2 {
                    let created = server.send(
                        .post("/sandboxes", #"{"command": ["true"], "namespaces": ["uts"], "privileged": true}"#))
                    seen.append(created.status)
                    if let id = created.json["id"] as? String { _ = server.send(.delete("/sandboxes/\(id)")) }
                } else {
                    seen.append(server.send(.get("/limits")).status)
                }
            }
            return seen
        }.flatMap { $0 }
        #expect(server.isRunning, "the server crashed under /limits + create load; log:\n\(server.log.suffix(2000))")
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 201 }, "\(Set(statuses))")
        #expect(eventually(5) { Proc.zombieChildren(of: server.pid).isEmpty })
    }

    // MARK: - exec concurrency vs. other deferred work

    /// Execs run on the global dispatch queue and block a thread each; a flood of long execs must
    /// not delay an unrelated wait's timeout (also scheduled on the global queue).
    @Test func longExecFloodDoesNotStarveWaitTimeouts() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try RobustServer()
        defer { server.stop() }
        let busy = try server.createRunning(name: "flooded")
        let other = try server.createRunning(name: "other")
        // From four loopback addresses: one client alone may hold only a quarter of the waiting slots.
        let flood = Thread {
            _ = parallel(200) { index in
                RawClient.exchange(
                    port: server.port,
                    server.authorized(.post("/sandboxes/\(busy.id)/exec", #"{"command": ["sleep", "8"], "timeout": 8}"#)),
                    timeout: 60, source: "127.0.0.\(10 + index % 4)")
            }
        }
        flood.start()
        Thread.sleep(forTimeInterval: 3)
        let started = Date()
        let waited = server.send(.post("/sandboxes/\(other.id)/wait?timeout=1", ""), timeout: 30)
        let elapsed = Date().timeIntervalSince(started)
        #expect(waited.status == 200)
        #expect(elapsed < 3, "wait?timeout=1 took \(elapsed) s while 200 execs ran")
        let health = Date()
        #expect(server.send(.get("/healthz")).status == 200)
        #expect(Date().timeIntervalSince(health) < 1)
        Thread.sleep(forTimeInterval: 8)
        _ = server.send(.delete("/sandboxes/\(busy.id)"), timeout: 30)
        _ = server.send(.delete("/sandboxes/\(other.id)"), timeout: 30)
    }
}
