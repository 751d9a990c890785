import Foundation
import Testing

/// What a client sees of the HTTP contract: filters, errors, auth, validators, concurrency.
struct HTTPBehaviourTests {
    @Test func typeFilterAcceptsRepeatedAndCommaSeparatedValues() async throws {
        let server = try TestServer()
        let comma = try await server.get("/namespaces?type=pid,net")
        let repeated = try await server.get("/namespaces?type=pid&type=net")
        #expect(comma.status == 200)
        // Other tests make namespaces meanwhile, so compare what is stable: the types, and ours.
        let mine = Set(["pid", "net"].compactMap { Host.readlinkInode("/proc/self/ns/\($0)") })
        for result in [comma, repeated] {
            #expect(Set(result.items.map { $0["type"] as! String }) == ["pid", "net"])
            #expect(mine.isSubset(of: Set(result.items.map { ($0["inode"] as! NSNumber).uint64Value })))
        }
        let all = try await server.get("/namespaces")
        #expect(Set(all.items.map { $0["type"] as! String }).count == 8)
    }

    @Test func pidFilterReturnsExactlyTheProcessNamespaces() async throws {
        let server = try TestServer()
        let result = try await server.get("/namespaces?pid=\(getpid())")
        let expected = Set(
            ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"].compactMap {
                Host.readlinkInode("/proc/self/ns/\($0)")
            })
        #expect(Set(result.items.map { ($0["inode"] as! NSNumber).uint64Value }) == expected)
        let narrowed = try await server.get("/namespaces?pid=\(getpid())&type=uts")
        #expect(narrowed.items.map { ($0["inode"] as! NSNumber).uint64Value } == [Host.readlinkInode("/proc/self/ns/uts")!])
    }

    @Test func uidFilterKeepsNamespacesWhereThatUserRunsAProcess() async throws {
        try #require(Host.isRoot, "needs root to start a process as another uid")
        let server = try TestServer()
        let uid = 40000 + Int(getpid() % 1000)
        let sleeper = try Background([
            "setpriv", "--reuid", "\(uid)", "--regid", "\(uid)", "--clear-groups",
            "unshare", "--user", "--uts", "sleep", "60",
        ])
        #expect(eventually { Host.readlinkInode("/proc/\(sleeper.pid)/ns/uts") != Host.readlinkInode("/proc/self/ns/uts") })
        let result = try await server.get("/namespaces?uid=\(uid)")
        let inodes = Set(result.items.map { ($0["inode"] as! NSNumber).uint64Value })
        #expect(inodes.contains(try #require(Host.readlinkInode("/proc/\(sleeper.pid)/ns/uts"))))
        #expect(inodes.contains(try #require(Host.readlinkInode("/proc/\(sleeper.pid)/ns/user"))))
        #expect(try await server.get("/namespaces?uid=3999999999").items.isEmpty)
        sleeper.stop()
    }

    @Test(arguments: [
        "/namespaces?type=bogus", "/namespaces?type=pid,", "/namespaces?pid=abc", "/namespaces?pid=0",
        "/namespaces?pid=-1", "/namespaces?uid=x", "/namespaces?uid=99999999999", "/namespaces?colour=red",
        "/namespaces/bogus/1", "/namespaces/pid/-1", "/namespaces/pid/Not%20A%20Name", "/processes/abc/namespaces",
        "/limits?x=1",
    ])
    func badQueriesAnswer400WithAProblem(path: String) async throws {
        let server = try TestServer()
        let result = try await server.get(path)
        #expect(result.status == 400)
        #expect(result.header("Content-Type") == "application/problem+json")
        #expect(result.json["type"] as? String == "urn:namespaced:problem:invalid-request")
        #expect(result.json["status"] as? Int == 400)
        #expect(!(result.json["detail"] as? String ?? "").isEmpty)
    }

    @Test(arguments: [
        "/nope", "/namespaces/pid/1", "/namespaces/pid/abc", "/processes/999999999/namespaces",
        "/namespaces/pid/4026531836/extra",
    ])
    func unknownThingsAnswer404(path: String) async throws {
        let server = try TestServer()
        let result = try await server.get(path)
        #expect(result.status == 404)
        #expect(result.json["type"] as? String == "urn:namespaced:problem:not-found")
    }

    @Test func wrongMethodAnswers405WithAllow() async throws {
        let server = try TestServer()
        let result = try await server.send("DELETE", "/namespaces")
        #expect(result.status == 405)
        #expect(result.header("Allow") == "POST, GET, HEAD")
        #expect(result.json["type"] as? String == "urn:namespaced:problem:method-not-allowed")
    }

    @Test func oversizedBodyAnswers413() async throws {
        let server = try TestServer()
        let body = Data(repeating: UInt8(ascii: "a"), count: 2 << 20)
        let result = try await server.send("POST", "/sandboxes", headers: ["Content-Type": "application/json"], body: body)
        #expect(result.status == 413)
        #expect(result.json["type"] as? String == "urn:namespaced:problem:payload-too-large")
        // The server is still fine afterwards.
        #expect(try await server.get("/healthz").status == 200)
    }

    @Test func chunkedOversizedBodyAnswers413() throws {
        let server = try TestServer()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nsd-big-\(getpid())")
        try Data(repeating: 0x61, count: 2 << 20).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Host.run([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked",
            "-H", "Content-Type: application/json", "--data-binary", "@\(file.path)",
            server.base + "/sandboxes",
        ])
        #expect(result.output == "413")
    }

    @Test func bearerTokenIsRequiredExceptForHealthz() async throws {
        let server = try TestServer(token: "s3cret-token")
        #expect(try await server.get("/healthz").status == 200)
        let missing = try await server.get("/namespaces")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(missing.json["type"] as? String == "urn:namespaced:problem:unauthorized")
        #expect(try await server.get("/namespaces", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await server.get("/namespaces", headers: ["Authorization": "Bearer s3cret-token-and-more"]).status == 401)
        #expect(try await server.get("/namespaces", headers: ["Authorization": "Basic s3cret-token"]).status == 401)
        #expect(try await server.get("/namespaces", headers: ["Authorization": "Bearer s3cret-token"]).status == 200)
        // Unknown routes do not tell an unauthenticated client what exists.
        #expect(try await server.get("/nope").status == 401)
    }

    @Test func ifNoneMatchAnswers304() async throws {
        let server = try TestServer()
        let first = try await server.get("/version")
        let tag = try #require(first.header("ETag"))
        #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""))
        let second = try await server.get("/version", headers: ["If-None-Match": tag])
        #expect(second.status == 304)
        #expect(second.data.isEmpty)
        let other = try await server.get("/version", headers: ["If-None-Match": "\"0000000000000000\""])
        #expect(other.status == 200)
    }

    @Test func limitsListAllEightTypesWithTheKernelMaximum() async throws {
        let server = try TestServer()
        let result = try await server.get("/limits")
        #expect(result.items.count == 8)
        for item in result.items {
            let type = item["type"] as! String
            let sysctl = "/proc/sys/user/max_\(type)_namespaces"
            #expect(item["sysctl"] as? String == sysctl)
            let max = Int(try String(contentsOfFile: sysctl, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            #expect((item["max"] as? NSNumber)?.intValue == max)
            #expect(
                (item["available"] as! NSNumber).intValue == (item["max"] as! NSNumber).intValue
                    - (item["used"] as! NSNumber).intValue)
        }
    }

    @Test func limitsCountEveryListedNamespaceButTheHosts() async throws {
        try #require(Host.isRoot, "needs root to create namespaces with unshare")
        let server = try TestServer()
        let sleeper = try Background(["unshare", "--ipc", "sleep", "60"])
        #expect(eventually { Host.readlinkInode("/proc/\(sleeper.pid)/ns/ipc") != Host.readlinkInode("/proc/self/ns/ipc") })
        func usedIPC() async throws -> Int {
            let items = try await server.get("/limits").items
            return (items.first { $0["type"] as? String == "ipc" }!["used"] as! NSNumber).intValue
        }
        // Other tests make and drop namespaces meanwhile (some in quick loops): compare only when
        // readings taken alternately, the listing before, between and after, all agree.
        func listedIPC() async throws -> Int { try await server.get("/namespaces?type=ipc").items.count }
        var compared = false
        for _ in 0..<50 where !compared {
            let listed0 = try await listedIPC()
            let (used1, listed1, used2, listed2) = (
                try await usedIPC(), try await listedIPC(), try await usedIPC(), try await listedIPC()
            )
            if used1 == used2, listed0 == listed1, listed1 == listed2 {
                #expect(used1 == listed1 - 1, "every listed ipc namespace but the host's is counted")
                #expect(used1 >= 1)
                compared = true
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(compared)
        sleeper.stop()
    }

    @Test func healthzAnswersWhile500RequestsRun() async throws {
        let server = try TestServer()
        let healthy = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<500 {
                group.addTask { try await server.get("/namespaces").status }
            }
            let health = try await server.get("/healthz")
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            #expect(statuses.count == 500)
            #expect(statuses.allSatisfy { $0 == 200 })
            return health.status
        }
        #expect(healthy == 200)
    }

    @Test func versionNamesTheKernel() async throws {
        let server = try TestServer()
        let result = try await server.get("/version")
        #expect(result.json["apiVersion"] as? String == "v1")
        #expect(
            result.json["kernel"] as? String
                == (try Host.run(["uname", "-r"]).output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
