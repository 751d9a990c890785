import Foundation
import Testing

/// Namespaces as resources: held namespaces of every type, joins (a pod), DELETE with and without
/// force, a restart. Checked from the host: mountinfo, stat of the nsfs bind, nsenter, ip, lsns, /proc.
struct HeldNamespaceTests {
    static let types = ["net", "uts", "ipc", "mnt", "cgroup", "time", "user", "pid"]

    /// nsfs bind mounts below the server's held directory, from the host's own mount table.
    static func heldMounts(_ server: TestServer) -> [String] {
        let root = (server.stateDirectory as NSString).resolvingSymlinksInPath + "/ns/"
        return Proc.read("/proc/self/mountinfo").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard line.contains(" - nsfs "), fields.count > 4, fields[4].hasPrefix(root) else { return nil }
            return String(fields[4])
        }
    }

    static func inode(ofFile path: String) throws -> UInt64 {
        UInt64(try Host.run(["stat", "-L", "-c", "%i", path]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// What a failed test left held goes with it (keepers included), and the held directory's mount.
    static func release(_ server: TestServer) {
        let root = (server.stateDirectory as NSString).resolvingSymlinksInPath + "/ns"
        for path in heldMounts(server) {
            if path.contains("/ns/pid/"), let inode = try? inode(ofFile: path) {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                    if let pid = Int32(entry), Proc.read("/proc/\(pid)/comm") == "nsd-keeper\n",
                        Host.readlinkInode("/proc/\(pid)/ns/pid") == inode
                    {
                        kill(pid, SIGKILL)
                    }
                }
            }
            umount2(path, Int32(MNT_DETACH))
        }
        umount2(root, Int32(MNT_DETACH))
    }

    func hold(
        _ server: TestServer, _ type: String, _ name: String, extra: [String: Any] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        let result = try await server.postJSON("/namespaces", ["type": type, "name": name].merging(extra) { $1 })
        try #require(
            result.status == 201, "POST /namespaces \(type) answered \(result.status): \(result.text)",
            sourceLocation: sourceLocation)
        #expect(result.header("Location") == "/namespaces/\(type)/\(name)", sourceLocation: sourceLocation)
        return result.json
    }

    @Test func everyTypeIsHeldListedByNameAndDeleted() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        defer { Self.release(server) }
        for type in Self.types {
            let extra: [String: Any] = type == "time" ? ["timeOffsets": ["boottime": 3600]] : [:]
            let held = try await hold(server, type, "blue", extra: extra.merging(["labels": ["team": "a"]]) { $1 })
            let path = try #require(held["path"] as? String)
            #expect(path.hasSuffix("/ns/\(type)/blue"))
            #expect(held["held"] as? Bool == true)
            #expect(held["name"] as? String == "blue")
            #expect(held["labels"] as? [String: String] == ["team": "a"])
            let inode = try #require((held["inode"] as? NSNumber)?.uint64Value)
            // The bind mount is the oracle: mountinfo names it, stat -L through it gives the inode.
            #expect(Self.heldMounts(server).contains(path))
            #expect(Proc.read("/proc/self/mountinfo").contains("\(type):[\(inode)] "))
            #expect(try Self.inode(ofFile: path) == inode)
            let listed = try await server.get("/namespaces?type=\(type)").items.first {
                ($0["inode"] as? NSNumber)?.uint64Value == inode
            }
            #expect(listed?["held"] as? Bool == true)
            #expect(listed?["name"] as? String == "blue")
            let byName = try await server.get("/namespaces/\(type)/blue")
            #expect(byName.status == 200)
            #expect((byName.json["inode"] as? NSNumber)?.uint64Value == inode)
            var keeper: Int32?
            if type == "pid" {
                // The keeper is pid 1 of the held pid namespace; lsns lists the namespace with it.
                keeper = (byName.json["pid"] as? NSNumber)?.int32Value
                let pid = try #require(keeper)
                #expect(Proc.status(pid)["NSpid"] == "\(pid) 1")
                #expect(Proc.read("/proc/\(pid)/comm") == "nsd-keeper\n")
                // It outlives the request: none of the server's fds (sockets, pipes, its stdio) stay in it.
                let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").map {
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "?"
                }
                #expect(fds.allSatisfy { $0 == "/dev/null" }, "\(fds)")
                #expect(
                    try Host.run(["lsns", "-n", "-o", "NS", "-t", "pid"]).output.split(separator: "\n")
                        .contains { $0.trimmingCharacters(in: .whitespaces) == "\(inode)" })
            }
            if type == "net" {
                let links = try Host.run(["nsenter", "--net=\(path)", "ip", "-o", "link"]).output
                #expect(links.split(separator: "\n").count == 1 && links.contains(": lo: <LOOPBACK,UP"), "only lo, up: \(links)")
            }
            if type == "time" {
                let offsets = try Host.run(["nsenter", "--time=\(path)", "cat", "/proc/self/timens_offsets"]).output
                #expect(offsets.contains("boottime") && offsets.contains("3600"), "\(offsets)")
            }
            if type == "user" {
                let map = try Host.run(["nsenter", "--user=\(path)", "cat", "/proc/self/uid_map"]).output
                #expect(map.split(whereSeparator: \.isWhitespace) == ["0", "100000", "65536"], "\(map)")
            }
            // A second one of the same type and name is a conflict.
            #expect(try await server.postJSON("/namespaces", ["type": type, "name": "blue"]).status == 409)
            #expect(try await server.send("DELETE", "/namespaces/\(type)/blue").status == 204)
            #expect(!Self.heldMounts(server).contains(path))
            #expect(!FileManager.default.fileExists(atPath: path))
            if let keeper { #expect(Proc.isGone(keeper)) }
            #expect(try await server.get("/namespaces/\(type)/blue").status == 404)
        }
    }

    @Test func badInputIsRefusedAndLeavesNothing() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        defer { Self.release(server) }
        _ = try await hold(server, "net", "taken")
        let before = Self.heldMounts(server)
        let bad: [([String: Any], Int)] = [
            (["type": "nett", "name": "x"], 400), (["name": "x"], 400), (["type": "net"], 400),
            (["type": "net", "name": "Bad Name"], 400), (["type": "net", "name": String(repeating: "a", count: 64)], 400),
            (["type": "net", "name": "x", "extra": 1], 400), (["type": "net", "name": "x", "timeOffsets": ["boottime": 1]], 400),
            (["type": "ipc", "name": "x", "uidMappings": [["insideId": 0, "outsideId": 1, "count": 1]]], 400),
            (["type": "time", "name": "x", "timeOffsets": ["boottime": 1 << 40]], 400),
            (["type": "user", "name": "x", "uidMappings": [["insideId": 0, "outsideId": 1, "count": 0]]], 400),
            (["type": "net", "name": "x", "labels": ["": "v"]], 400), (["type": "net", "name": "taken"], 409),
        ]
        for (body, status) in bad {
            let result = try await server.postJSON("/namespaces", body)
            #expect(result.status == status, "\(body) answered \(result.status): \(result.text)")
            #expect(result.header("Content-Type") == "application/problem+json")
        }
        #expect(Self.heldMounts(server) == before)
        // The host's own namespace is not namespaced's to delete; an unknown name is 404.
        let hostNet = try #require(Host.readlinkInode("/proc/self/ns/net"))
        #expect(try await server.send("DELETE", "/namespaces/net/\(hostNet)").status == 409)
        #expect(try await server.send("DELETE", "/namespaces/net/nosuch").status == 404)
        #expect(try await server.send("DELETE", "/namespaces/net/taken?force=maybe").status == 400)
        #expect(try await server.send("DELETE", "/namespaces/net/taken").status == 204)
    }

    @Test func aPodSharesLoopbackQueuesAndHostname() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        defer { Self.release(server) }
        let net = try await hold(server, "net", "pod")
        let netInode = try #require((net["inode"] as? NSNumber)?.uint64Value)
        let listener =
            "import socket;s=socket.socket();s.bind(('127.0.0.1',7777));s.listen();print('ready',flush=True);c,_=s.accept();print(c.recv(64).decode(),flush=True);import time;time.sleep(60)"
        let first = try await server.createSandbox([
            "name": "pod-a", "command": ["python3", "-c", listener], "hostname": "pod-a",
            "join": ["net": "pod"],
        ])
        #expect(first.namespace("net") == netInode)
        #expect(try await server.logs("pod-a") { $0.contains("ready") }.contains("ready"))
        // The second joins the held namespace by inode and talks to the first over loopback.
        let client = "import socket;socket.create_connection(('127.0.0.1',7777)).send(b'hello-pod')"
        let second = try await server.createSandbox(["command": ["python3", "-c", client], "join": ["net": "\(netInode)"]])
        #expect(second.namespace("net") == netInode)
        #expect(try await server.logs("pod-a") { $0.contains("hello-pod") }.contains("hello-pod"))
        let command = try #require(await Proc.commandPid(ofInit: first.pid))
        #expect(Host.readlinkInode("/proc/\(command)/ns/net") == netInode)
        // A SysV queue made in the first is seen by a third that joins sandbox:pod-a for ipc and uts.
        let made = try await server.exec("pod-a", ["ipcmk", "-Q"])
        #expect(made.json["exitCode"] as? Int == 0, "\(made.text)")
        let third = try await server.createSandbox([
            "command": ["sh", "-c", "hostname; ipcs -q | grep -c '^0x'; exec sleep 30"],
            "join": ["ipc": "sandbox:pod-a", "uts": "sandbox:pod-a", "net": "pod"],
        ])
        #expect(third.namespace("ipc") == first.namespace("ipc"))
        #expect(third.namespace("uts") == first.namespace("uts"))
        #expect(try await server.logs(third.id) { $0.split(separator: "\n").count == 2 } == "pod-a\n1\n")
        // The inventory says who joined.
        let joinedBy = Set(try await server.get("/namespaces/net/pod").json["joinedBy"] as? [String] ?? [])
        #expect(joinedBy.isSuperset(of: [first.id, third.id]), "\(joinedBy)")
        #expect(try await server.deleteSandbox(third.id) == 204)
        #expect(try await server.deleteSandbox(second.id) == 204)
        #expect(try await server.deleteSandbox(first.id) == 204)
    }

    @Test func joinsByPathAndPidAndBadJoinsAreRefused() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        defer { Self.release(server) }
        // A namespace made by iproute2, joined by its path.
        let name = "nsdtest-\(UUID().uuidString.prefix(8).lowercased())"
        try #require(try Host.run(["ip", "netns", "add", name]).status == 0)
        defer { _ = try? Host.run(["ip", "netns", "del", name]) }
        let external = try Self.inode(ofFile: "/run/netns/\(name)")
        try await server.withSandbox(["command": ["sleep", "30"], "join": ["net": "/run/netns/\(name)"]]) { sandbox in
            #expect(sandbox.namespace("net") == external)
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Host.readlinkInode("/proc/\(command)/ns/net") == external)
            #expect(try Host.run(["ip", "netns", "identify", "\(command)"]).output == "\(name)\n")
        }
        // A held pid namespace: the keeper stays its pid 1, the sandbox's /proc shows it.
        let pid = try await hold(server, "pid", "p")
        try await server.withSandbox(["command": ["sh", "-c", "echo $$; cat /proc/1/comm; exec sleep 30"], "join": ["pid": "p"]])
        { sandbox in
            #expect(sandbox.namespace("pid") == (pid["inode"] as? NSNumber)?.uint64Value)
            let logs = try await server.logs(sandbox.id) { $0.split(separator: "\n").count == 2 }
            #expect(logs == "3\nnsd-keeper\n")
        }
        #expect(try await server.send("DELETE", "/namespaces/pid/p").status == 204)
        let refused: [([String: Any], Int, String)] = [
            (["command": ["true"], "namespaces": ["mnt", "net"], "join": ["net": "pod"]], 400, "join.net"),
            (["command": ["true"], "join": ["nett": "x"]], 400, "join"),
            (["command": ["true"], "join": ["net": ""]], 400, "join.net"),
            (["command": ["true"], "join": ["net": "/run/netns/../x"]], 400, "join.net"),
            (["command": ["true"], "join": ["mnt": "x"]], 400, "join.mnt"),
            (["command": ["true"], "join": ["net": "nosuch"]], 422, "nosuch"),
            (["command": ["true"], "join": ["net": "sandbox:nosuch"]], 422, "nosuch"),
            (["command": ["true"], "join": ["net": "/proc/self/ns/ipc"]], 422, "not a net namespace"),
            (["command": ["true"], "join": ["net": "4"]], 422, "inode 4"),
        ]
        let directories = server.sandboxDirectories.count
        for (spec, status, mention) in refused {
            let result = try await server.postJSON("/sandboxes", spec)
            #expect(result.status == status, "\(spec) answered \(result.status): \(result.text)")
            #expect(result.text.contains(mention), "\(result.text) names \(mention)")
        }
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.count == directories)
    }

    @Test func deleteInUseIsRefusedUnlessForced() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        defer { Self.release(server) }
        let held = try await hold(server, "net", "busy")
        let path = try #require(held["path"] as? String)
        let sandbox = try await server.createSandbox(["command": ["sleep", "300"], "join": ["net": "busy"]])
        let refused = try await server.send("DELETE", "/namespaces/net/busy")
        #expect(refused.status == 409)
        #expect(refused.json["type"] as? String == "urn:namespaced:problem:namespace-in-use")
        #expect(refused.text.contains(sandbox.id))
        #expect(Self.heldMounts(server).contains(path))
        #expect(!Proc.isGone(sandbox.pid))
        #expect(try await server.send("DELETE", "/namespaces/net/busy?force=true").status == 204)
        #expect(try await server.get("/sandboxes/\(sandbox.id)").status == 404)
        #expect(Proc.isGone(sandbox.pid))
        #expect(!Self.heldMounts(server).contains(path))
        let inode = try #require((held["inode"] as? NSNumber)?.uint64Value)
        #expect(!(try Host.run(["lsns", "-n", "-o", "NS", "-t", "net"]).output.contains("\(inode)")))
    }
}

/// Held namespaces outlive a kill -9 of the server, and joins still work after it.
@Suite(.serialized) struct HeldNamespaceRestartTests {
    @Test func heldNamespacesSurviveKill9() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let directory = try DurabilityTests.stateDirectory()
        defer {
            killSandboxes(in: directory)
            let root = (directory as NSString).resolvingSymlinksInPath + "/ns"
            for type in HeldNamespaceTests.types { umount2("\(root)/\(type)/keep", Int32(MNT_DETACH)) }
            umount2(root, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening, "server did not start: \(first.output)")
        var inodes: [String: Int] = [:]
        var keeper = 0
        for type in ["net", "pid"] {
            let made = try await first.request(
                "POST", "/namespaces", json: #"{"type":"\#(type)","name":"keep","labels":{"k":"v"}}"#)
            try #require(made.status == 201, "\(made.text)")
            inodes[type] = made.json["inode"] as? Int
            if type == "pid" { keeper = made.json["pid"] as? Int ?? 0 }
        }
        first.kill9()
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        try #require(second.isListening, "server did not restart: \(second.output)")
        for type in ["net", "pid"] {
            let shown = try await second.request("GET", "/namespaces/\(type)/keep")
            #expect(shown.status == 200, "\(shown.text)")
            #expect(shown.json["inode"] as? Int == inodes[type])
            #expect(shown.json["held"] as? Bool == true)
            #expect(shown.json["gone"] as? Bool == false)
            #expect(shown.json["labels"] as? [String: String] == ["k": "v"])
        }
        #expect(!Proc.isGone(Int32(keeper)))
        let joined = try await second.request(
            "POST", "/sandboxes", json: #"{"command":["sleep","30"],"join":{"net":"keep","pid":"keep"}}"#)
        #expect(joined.status == 201, "\(joined.text)")
        #expect(((joined.json["namespaces"] as? [String: Any])?["net"] as? Int) == inodes["net"])
        #expect(try await second.request("DELETE", "/namespaces/net/keep").status == 409)
        #expect(try await second.request("DELETE", "/namespaces/net/keep?force=true").status == 204)
        #expect(try await second.request("DELETE", "/namespaces/pid/keep").status == 204)
        #expect(eventually(5) { Proc.isGone(Int32(keeper)) || Proc.read("/proc/\(keeper)/stat").contains(") Z ") })
    }
}
