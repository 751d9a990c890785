import Foundation
import Testing

/// Veth links between a sandbox's network namespace and the host, checked from outside the server:
/// `ip` on the host, `ip` through nsenter inside, and traffic between the two ends. Host ends are
/// named `nsdt` + 8 random hex digits and deleted after each test whatever happened; addresses are
/// /30s in 10.231.0.0/16 that no host route covers.
struct LinkTests {
    /// A sandbox with its own net (and mnt) namespace that runs until deleted.
    static var spec: [String: Any] { ["command": ["sleep", "120"], "namespaces": ["mnt", "net", "pid"]] }

    /// A host end name and a free /30 for one test; `cleanUp` removes the host end if it is left.
    struct Names {
        let host = "nsdt" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        let subnet: String

        init() throws {
            var chosen: String?
            for _ in 0..<20 {
                let candidate = "10.231.\(Int.random(in: 0...255)).\(Int.random(in: 0...63) * 4)"
                let route = try Host.run(["ip", "-o", "route", "show", "match", candidate + "/30"]).output
                // Only the default route (or nothing) may cover it.
                if route.split(separator: "\n").allSatisfy({ $0.hasPrefix("default") }) {
                    chosen = candidate
                    break
                }
            }
            subnet = try #require(chosen, "no free /30 in 10.231.0.0/16")
        }

        func address(_ host: Int) -> String {
            let parts = subnet.split(separator: ".")
            return "\(parts[0]).\(parts[1]).\(parts[2]).\(Int(parts[3])! + host)"
        }

        var hostCIDR: String { address(1) + "/30" }
        var insideCIDR: String { address(2) + "/30" }

        func cleanUp() {
            if FileManager.default.fileExists(atPath: "/sys/class/net/\(host)") {
                _ = try? Host.run(["ip", "link", "delete", host])
            }
        }
    }

    /// The host's interface of that name as `ip` shows it (sysfs first: `ip` complains on stderr).
    static func hostLink(_ name: String) throws -> (exists: Bool, line: String) {
        guard FileManager.default.fileExists(atPath: "/sys/class/net/\(name)") else { return (false, "") }
        let shown = try Host.run(["ip", "-o", "link", "show", "dev", name])
        return (shown.status == 0, shown.output)
    }

    static func inside(_ pid: Int32, _ arguments: [String]) throws -> String {
        try Host.run(["nsenter", "--net=/proc/\(pid)/ns/net"] + arguments).output
    }

    /// The interfaces inside: a veth pair always has an end there, so when they are unchanged and
    /// the host end's name is free, no pair was made (other tests make host interfaces meanwhile).
    static func insideLinks(_ pid: Int32) throws -> [Substring] {
        try inside(pid, ["ip", "-o", "link", "show"]).split(separator: "\n")
    }

    @Test func aLinkCarriesTrafficBetweenTheSandboxAndTheHostAndDeleteRemovesBothEnds() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let server = try TestServer()
        let names = try Names()
        defer { names.cleanUp() }
        try await server.withSandbox(Self.spec) { sandbox in
            let created = try await server.postJSON(
                "/sandboxes/\(sandbox.id)/links",
                ["name": "eth0", "hostName": names.host, "address": names.insideCIDR, "hostAddress": names.hostCIDR])
            try #require(created.status == 201, "\(created.status) \(created.text)")
            let link = created.json
            #expect(created.header("Location") == "/sandboxes/\(sandbox.id)/links/eth0")
            #expect(link["name"] as? String == "eth0" && link["hostName"] as? String == names.host)
            #expect((link["addresses"] as? [String])?.contains(names.insideCIDR) == true, "\(link)")
            #expect((link["hostAddresses"] as? [String])?.contains(names.hostCIDR) == true, "\(link)")
            #expect(link["state"] as? String == "up" && link["hostState"] as? String == "up", "\(link)")

            // The host end, as `ip` shows it: up, with a carrier, its peer in another namespace.
            let host = try Self.hostLink(names.host)
            #expect(host.exists && host.line.contains(",UP,LOWER_UP>") && host.line.contains("link-netnsid"), "\(host.line)")
            #expect(
                try Host.run(["ip", "-o", "-4", "address", "show", "dev", names.host]).output.contains("inet \(names.hostCIDR)"))
            #expect(
                host.line.hasPrefix("\(link["hostIfindex"] as? Int ?? -1): \(names.host)@if\(link["ifindex"] as? Int ?? -1):"))
            // The inside end, seen from inside the sandbox's namespace.
            let inside = try Self.inside(sandbox.pid, ["ip", "-o", "-4", "address", "show", "dev", "eth0"])
            #expect(inside.contains("inet \(names.insideCIDR)"), "\(inside)")
            let insideLink = try Self.inside(sandbox.pid, ["ip", "-o", "link", "show", "dev", "eth0"])
            #expect(insideLink.contains(",UP,LOWER_UP>") && insideLink.contains("eth0@if\(link["hostIfindex"] as? Int ?? -1):"))

            // Traffic: a listener on the host end's address answers the sandbox with the address it
            // saw the connection come from.
            let listener = try Background([
                "python3", "-c",
                "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                    + "s.bind(('\(names.address(1))', 18310)); s.listen(); s.settimeout(20); c, a = s.accept(); "
                    + "c.sendall(('hello ' + a[0]).encode()); c.close()",
            ])
            defer { listener.stop() }
            let client =
                "import socket, time\nfor _ in range(100):\n    try:\n        c = socket.create_connection(('\(names.address(1))', 18310), timeout=2); break\n"
                + "    except ConnectionRefusedError:\n        time.sleep(0.05)\nprint(c.recv(100).decode())"
            let answer = try await server.exec(sandbox.id, ["python3", "-c", client], timeout: 20)
            #expect(answer.json["stdout"] as? String == "hello \(names.address(2))\n", "\(answer.text)")
            // Reaped now: the listener has answered, and a zombie child would trouble tests that
            // run meanwhile and count them.
            listener.stop()

            let listed = try await server.get("/sandboxes/\(sandbox.id)/links")
            #expect(listed.status == 200 && listed.items.map { $0["name"] as? String } == ["eth0"], "\(listed.text)")
            #expect(listed.items.first?["hostIfindex"] as? Int == link["hostIfindex"] as? Int)
            let one = try await server.get("/sandboxes/\(sandbox.id)/links/eth0")
            #expect(one.status == 200 && one.json["hostName"] as? String == names.host)

            let deleted = try await server.send("DELETE", "/sandboxes/\(sandbox.id)/links/eth0")
            #expect(deleted.status == 204, "\(deleted.text)")
            #expect(try Self.hostLink(names.host).exists == false, "the host end is gone with the inside one")
            #expect(try Self.insideLinks(sandbox.pid).count == 1, "only lo inside")
            #expect(try await server.get("/sandboxes/\(sandbox.id)/links").items.isEmpty)
            let again = try await server.send("DELETE", "/sandboxes/\(sandbox.id)/links/eth0")
            #expect(again.status == 404 && again.json["type"] as? String == "urn:namespaced:problem:not-found")
            #expect(try await server.get("/sandboxes/\(sandbox.id)/links/eth0").status == 404)
        }
    }

    /// A pod: a held net namespace with a link to the host. Sandboxes joining it reach the host
    /// end; the link outlives them, is listed by name, inode and through a joined sandbox, and goes
    /// with the namespace.
    @Test func aLinkIntoAHeldNamespaceServesTheSandboxesThatJoinIt() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let server = try TestServer()
        let names = try Names()
        let held = "links-" + String(names.host.suffix(8))
        defer { names.cleanUp() }
        let made = try await server.postJSON("/namespaces", ["type": "net", "name": held])
        try #require(made.status == 201, "\(made.text)")
        let path = try #require(made.json["path"] as? String)
        let inode = try #require((made.json["inode"] as? NSNumber)?.uint64Value)
        var deleted = false
        defer {
            if !deleted { _ = try? Host.run(["curl", "-s", "-X", "DELETE", server.base + "/namespaces/net/\(held)?force=true"]) }
        }

        let created = try await server.postJSON(
            "/namespaces/net/\(held)/links",
            ["name": "pod0", "hostName": names.host, "address": names.insideCIDR, "hostAddress": names.hostCIDR])
        try #require(created.status == 201, "\(created.text)")
        #expect(created.header("Location") == "/namespaces/net/\(held)/links/pod0")
        let inside = try Host.run(["nsenter", "--net=\(path)", "ip", "-o", "-4", "address", "show", "dev", "pod0"]).output
        #expect(inside.contains("inet \(names.insideCIDR)"), "\(inside)")
        #expect(try Self.hostLink(names.host).line.contains(",UP,LOWER_UP>"))

        let listener = try Background([
            "python3", "-c",
            "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                + "s.bind(('\(names.address(1))', 18311)); s.listen(); s.settimeout(20); c, a = s.accept(); "
                + "c.sendall(('hello ' + a[0]).encode()); c.close()",
        ])
        defer { listener.stop() }
        try await server.withSandbox(["command": ["sleep", "60"], "join": ["net": held]]) { sandbox in
            #expect(sandbox.namespace("net") == inode)
            let client =
                "import socket, time\nfor _ in range(100):\n    try:\n        c = socket.create_connection(('\(names.address(1))', 18311), timeout=2); break\n"
                + "    except ConnectionRefusedError:\n        time.sleep(0.05)\nprint(c.recv(100).decode())"
            let answer = try await server.exec(sandbox.id, ["python3", "-c", client], timeout: 20)
            #expect(answer.json["stdout"] as? String == "hello \(names.address(2))\n", "\(answer.text)")
            // Reaped now: the listener has answered, and a zombie child would trouble tests that
            // run meanwhile and count them.
            listener.stop()
            let throughSandbox = try await server.get("/sandboxes/\(sandbox.id)/links")
            #expect(throughSandbox.items.map { $0["hostName"] as? String } == [names.host], "\(throughSandbox.text)")
        }
        // The sandbox is gone; the namespace, and the link, are not.
        #expect(try Self.hostLink(names.host).exists)
        let byInode = try await server.get("/namespaces/net/\(inode)/links/pod0")
        #expect(byInode.status == 200 && byInode.json["hostName"] as? String == names.host, "\(byInode.text)")
        let removed = try await server.send("DELETE", "/namespaces/net/\(held)/links/pod0")
        #expect(removed.status == 204)
        #expect(try Self.hostLink(names.host).exists == false)
        #expect(try Host.run(["nsenter", "--net=\(path)", "ip", "-o", "link", "show"]).output.split(separator: "\n").count == 1)

        // A new link goes when the held namespace is deleted.
        let again = try await server.postJSON("/namespaces/net/\(held)/links", ["name": "pod0", "hostName": names.host])
        #expect(again.status == 201, "\(again.text)")
        #expect(try await server.send("DELETE", "/namespaces/net/\(held)").status == 204)
        deleted = true
        let gone = await eventuallyAsync(10) { (try? Self.hostLink(names.host).exists) == false }
        #expect(gone, "the host end went with the held namespace")
        #expect(try await server.get("/namespaces/net/\(held)/links").status == 404)
    }

    @Test func badInputIsRefusedBeforeAnythingIsMade() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let server = try TestServer()
        let names = try Names()
        defer { names.cleanUp() }
        try await server.withSandbox(Self.spec) { sandbox in
            let insideBefore = try Self.insideLinks(sandbox.pid)
            let bad: [(body: Any, names: String)] = [
                ([:] as [String: Any], "name"),
                (["name": ""], "name"),
                (["name": "abcdefghijklmnop"], "name"),
                (["name": "-x"], "name"),
                (["name": "."], "name"),
                (["name": ".."], "name"),
                (["name": "a/b"], "name"),
                (["name": "a b"], "name"),
                (["name": "all"], "name"),
                (["name": "eth0", "hostName": "default"], "hostName"),
                (["name": "eth0", "hostName": "é"], "hostName"),
                (["name": 7], "name"),
                (["name": NSNull()], "name"),
                (["name": "eth0", "extra": 1], "extra"),
                (["name": "eth0", "address": "10.231.0.2"], "address"),
                (["name": "eth0", "address": "10.231.0.2/0"], "address"),
                (["name": "eth0", "address": "10.231.0.2/33"], "address"),
                (["name": "eth0", "address": "10.231.0.2/024"], "address"),
                (["name": "eth0", "address": "10.231.0.2/+8"], "address"),
                (["name": "eth0", "address": "010.231.0.2/24"], "address"),
                (["name": "eth0", "address": "10.231.0.256/24"], "address"),
                (["name": "eth0", "address": "127.0.0.2/8"], "address"),
                (["name": "eth0", "address": "0.1.2.3/8"], "address"),
                (["name": "eth0", "address": "224.0.0.5/24"], "address"),
                (["name": "eth0", "address": "255.255.255.255/32"], "address"),
                (["name": "eth0", "hostAddress": "::1/128"], "hostAddress"),
                (["name": "eth0", "hostAddress": "::/64"], "hostAddress"),
                (["name": "eth0", "hostAddress": "ff02::1/64"], "hostAddress"),
                (["name": "eth0", "hostAddress": "::ffff:10.231.0.1/96"], "hostAddress"),
                (["name": "eth0", "hostAddress": "fd00::1/129"], "hostAddress"),
                (["name": "eth0", "hostAddress": "fd00::1%eth0/64"], "hostAddress"),
                (["name": "eth0", "hostAddress": "10.231.0.1/24/1"], "hostAddress"),
            ]
            for (body, member) in bad {
                var object = body as? [String: Any] ?? [:]
                if object["hostName"] == nil, object["name"] as? String == "eth0" { object["hostName"] = names.host }
                let answer = try await server.postJSON("/sandboxes/\(sandbox.id)/links", object)
                #expect(answer.status == 400, "\(object): \(answer.status) \(answer.text)")
                #expect(answer.json["type"] as? String == "urn:namespaced:problem:invalid-request")
                #expect((answer.json["detail"] as? String)?.contains(member) == true, "\(object): \(answer.text)")
            }
            // Names that exist: the host's loopback, and the sandbox's own.
            let hostTaken = try await server.postJSON("/sandboxes/\(sandbox.id)/links", ["name": "eth0", "hostName": "lo"])
            #expect(
                hostTaken.status == 409 && hostTaken.json["side"] as? String == "host"
                    && hostTaken.json["name"] as? String == "lo")
            let insideTaken = try await server.postJSON("/sandboxes/\(sandbox.id)/links", ["name": "lo", "hostName": names.host])
            #expect(insideTaken.status == 409 && insideTaken.json["side"] as? String == "inside", "\(insideTaken.text)")
            // Not JSON, and an unknown sandbox.
            let notJSON = try await server.postRaw(
                "/sandboxes/\(sandbox.id)/links", Data("name=eth0".utf8), contentType: "text/plain")
            #expect(notJSON.status == 415)
            let unknown = try await server.postJSON("/sandboxes/no-such-sandbox/links", ["name": "eth0", "hostName": names.host])
            #expect(unknown.status == 404)

            #expect(try Self.hostLink(names.host).exists == false)
            #expect(try Self.insideLinks(sandbox.pid) == insideBefore && insideBefore.count == 1, "only lo inside")
        }
    }

    /// The kernel refuses the inside address (IPv6 is off in the sandbox's namespace): the pair,
    /// made already, is deleted again, and the problem names the step and the side.
    @Test func aStepTheKernelRefusesLeavesNothingBehind() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let server = try TestServer()
        let names = try Names()
        defer { names.cleanUp() }
        try await server.withSandbox(Self.spec) { sandbox in
            // A sysctl of the sandbox's own network namespace, which goes with it.
            let off = try Host.run([
                "nsenter", "--net=/proc/\(sandbox.pid)/ns/net", "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
            ])
            try #require(off.status == 0)
            let answer = try await server.postJSON(
                "/sandboxes/\(sandbox.id)/links",
                ["name": "eth0", "hostName": names.host, "address": "fd6e:7364:6c6b::2/126", "hostAddress": names.hostCIDR])
            #expect(answer.status == 422, "\(answer.text)")
            #expect(answer.json["type"] as? String == "urn:namespaced:problem:link-failed")
            #expect(answer.json["step"] as? String == "RTM_NEWADDR" && answer.json["side"] as? String == "inside")
            #expect(answer.json["errno"] as? Int == Int(EACCES), "\(answer.text)")
            #expect(try Self.hostLink(names.host).exists == false, "the host end was deleted again")
            #expect(try Self.insideLinks(sandbox.pid).count == 1, "only lo inside")
        }
    }

    @Test func aSandboxWithoutANetworkNamespaceOfItsOwnHasNoLinks() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let names = try Names()
        defer { names.cleanUp() }
        try await server.withSandbox(["command": ["sleep", "60"], "namespaces": ["mnt", "pid"]]) { sandbox in
            let created = try await server.postJSON("/sandboxes/\(sandbox.id)/links", ["name": "eth0", "hostName": names.host])
            #expect(created.status == 409 && (created.json["detail"] as? String)?.contains("\"net\"") == true, "\(created.text)")
            #expect(try await server.get("/sandboxes/\(sandbox.id)/links").status == 409)
            #expect(try Self.hostLink(names.host).exists == false)
        }
    }

    /// The kernel removes a pair with the namespace it leads into: after the sandbox exits, the
    /// host end goes, GET lists nothing, and no new link can be made.
    @Test func theSandboxsExitRemovesItsLinks() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let server = try TestServer()
        let names = try Names()
        defer { names.cleanUp() }
        try await server.withSandbox(Self.spec) { sandbox in
            let created = try await server.postJSON(
                "/sandboxes/\(sandbox.id)/links", ["name": "eth0", "hostName": names.host, "hostAddress": names.hostCIDR])
            try #require(created.status == 201, "\(created.text)")
            #expect(try Self.hostLink(names.host).exists)
            #expect(try await server.signal(sandbox.id, "SIGKILL").status == 204)
            #expect(try await server.waitSandbox(sandbox.id).state == "exited")
            // Network namespaces are torn down by a kernel worker, shortly after their last user.
            let gone = await eventuallyAsync(10) { (try? Self.hostLink(names.host).exists) == false }
            #expect(gone, "the host end went with the namespace")
            let listed = try await server.get("/sandboxes/\(sandbox.id)/links")
            #expect(listed.status == 200 && listed.items.isEmpty, "\(listed.text)")
            let again = try await server.postJSON("/sandboxes/\(sandbox.id)/links", ["name": "eth0", "hostName": names.host])
            #expect(again.status == 409 && (again.json["detail"] as? String)?.contains("not running") == true, "\(again.text)")
            #expect(try await server.send("DELETE", "/sandboxes/\(sandbox.id)/links/eth0").status == 404)
        }
    }

    /// 50 creates and deletes leave the server with the fds it had: every socket, thread and
    /// namespace fd of a request is closed.
    @Test func createAndDeleteLeakNoFds() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and links")
        let directory = NSTemporaryDirectory() + "nsd-links-\(getpid())-\(UUID().uuidString.prefix(8))"
        let server = try ServerBinary(stateDirectory: directory)
        let names = try Names()
        defer {
            names.cleanUp()
            killSandboxes(in: directory)
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try #require(server.isListening, "\(server.output)")
        let sandbox = try await server.request("POST", "/sandboxes", json: #"{"command": ["sleep", "120"]}"#)
        try #require(sandbox.status == 201, "\(sandbox.text)")
        let id = sandbox.json.id
        let body =
            #"{"name": "eth0", "hostName": "\#(names.host)", "address": "\#(names.insideCIDR)", "hostAddress": "\#(names.hostCIDR)"}"#
        func fds() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? -1 }
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/task").count) ?? -1 }
        // One round first: whatever is made once (pools, caches) is made before counting.
        #expect(try await server.request("POST", "/sandboxes/\(id)/links", json: body).status == 201)
        #expect(try await server.request("DELETE", "/sandboxes/\(id)/links/eth0").status == 204)
        let (fdsBefore, threadsBefore) = (fds(), threads())
        for round in 0..<50 {
            let created = try await server.request("POST", "/sandboxes/\(id)/links", json: body)
            try #require(created.status == 201, "round \(round): \(created.text)")
            #expect(try await server.request("GET", "/sandboxes/\(id)/links").status == 200)
            let deleted = try await server.request("DELETE", "/sandboxes/\(id)/links/eth0")
            try #require(deleted.status == 204, "round \(round): \(deleted.text)")
        }
        let (fdsAfter, threadsAfter) = (fds(), threads())
        #expect(fdsAfter == fdsBefore, "fds before \(fdsBefore), after \(fdsAfter)")
        #expect(threadsAfter <= threadsBefore, "threads before \(threadsBefore), after \(threadsAfter)")
        #expect(try Self.hostLink(names.host).exists == false)
        #expect(try await server.request("DELETE", "/sandboxes/\(id)").status == 204)
    }
}
