import Foundation
import NamespaceKit
import Testing

/// `resources`: a cgroup per sandbox, checked against the cgroup files themselves (the oracle an
/// operator reads). On this kind of host (cgroup v1 memory/pids/cpu, cgroup2 without controllers)
/// `auto` runs the v1 limit paths and the cgroup2 placement and kill path; `v1` runs the freezer
/// kill path. A host without a controller a test needs skips that test and says so.
@Suite struct ResourceTests {
    /// The directory of a controller's sandbox cgroup, from the layout (what the server uses).
    static func directory(_ server: TestServer, _ controller: CgroupController, _ id: String) -> String? {
        server.sandboxes.cgroups.parents[controller].map { "\($0)/\(id)" }
    }

    static func number(_ path: String) -> Int64? {
        Int64(Proc.read(path).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func keyed(_ path: String, _ key: String) -> Int64? {
        for line in Proc.read(path).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int64(parts[1]) }
        }
        return nil
    }

    /// Sandbox-id directories left below every parent of the server's layout.
    static func leftovers(_ server: TestServer) -> [String] {
        let layout = server.sandboxes.cgroups
        let parents = (layout.unified.map { [$0] } ?? []) + Array(layout.parents.values)
        return Set(parents).flatMap { parent in
            ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.count == 32 }.map {
                parent + "/" + $0
            }
        }
    }

    static func stats(_ server: TestServer, _ id: String) async throws -> [String: Any] {
        let result = try await server.get("/sandboxes/\(id)/stats")
        #expect(result.status == 200, "\(result.text)")
        return result.json
    }

    @Test func forkBombStaysWithinThePidsLimit() async throws {
        let server = try TestServer()
        try #require(server.sandboxes.cgroups.parents[.pids] != nil, "skipped: this host has no pids controller")
        // 200 children that sleep, each fork that fails counted (a shell would give up at the first).
        let bomb = """
            import os, time
            refused = 0
            for _ in range(200):
                try:
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                except OSError:
                    refused += 1
            print("spawned, refused", refused, flush=True)
            time.sleep(60)
            """
        try await server.withSandbox(["command": ["/usr/bin/python3", "-c", bomb], "resources": ["pids": 64]]) { sandbox in
            let id = sandbox.id
            let pidsDirectory = try #require(Self.directory(server, .pids, id))
            // The loop ends quickly: 200 forks, most refused by the kernel.
            let started = Date()
            let log = try await server.logs(id, within: 20) { $0.contains("spawned") }
            #expect(log.contains("spawned, refused 138\n"), "init, python and 62 children; the rest refused: \(log)")
            #expect(Date().timeIntervalSince(started) < 20)
            let current = try #require(Self.number(pidsDirectory + "/pids.current"))
            #expect(current == 64, "pids.current \(current)")
            #expect((Self.keyed(pidsDirectory + "/pids.events", "max") ?? 0) > 0, "the kernel refused forks")
            let stats = try await Self.stats(server, id)
            #expect(stats["pidsLimit"] as? Int == 64)
            #expect((stats["pids"] as? Int ?? 999) <= 64)
            // The host still forks.
            #expect(try Host.run(["true"]).status == 0)
        }
        #expect(Self.leftovers(server).isEmpty)
    }

    @Test func allocationOverMemoryBytesIsOOMKilled() async throws {
        let server = try TestServer()
        try #require(server.sandboxes.cgroups.parents[.memory] != nil, "skipped: this host has no memory controller")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "skipped: no python3")
        let spec: [String: Any] = [
            "command": ["/usr/bin/python3", "-c", "b = bytearray(512 << 20); print('survived')"],
            "resources": ["memoryBytes": 64 << 20],
        ]
        try await server.withSandbox(spec) { sandbox in
            let exited = try await server.waitSandbox(sandbox.id)
            #expect(exited["signal"] as? String == "SIGKILL", "\(exited)")
            #expect(exited["oomKilled"] as? Bool == true)
            let directory = try #require(Self.directory(server, .memory, sandbox.id))
            let unified = server.sandboxes.cgroups.unified.map { directory.hasPrefix($0) } ?? false
            let kills =
                unified
                ? Self.keyed(directory + "/memory.events", "oom_kill") : Self.keyed(directory + "/memory.oom_control", "oom_kill")
            #expect((kills ?? 0) >= 1, "the kernel's own count of OOM kills")
            #expect(try await server.logs(sandbox.id).isEmpty)
            let stats = try await Self.stats(server, sandbox.id)
            #expect(stats["memoryLimitBytes"] as? Int == 64 << 20)
        }
        // A sandbox that stays under its limit is not marked.
        try await server.withSandbox(["command": ["/bin/true"], "resources": ["memoryBytes": 64 << 20]]) { sandbox in
            let exited = try await server.waitSandbox(sandbox.id)
            #expect(exited["oomKilled"] as? Bool == false)
        }
    }

    @Test func halfACPUGetsAtMostHalfTheTime() async throws {
        let server = try TestServer()
        try #require(server.sandboxes.cgroups.parents[.cpu] != nil, "skipped: this host has no cpu controller")
        let loop = "import time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass"
        try await server.withSandbox(["command": ["/usr/bin/python3", "-c", loop], "resources": ["cpus": 0.5]]) { sandbox in
            _ = try await server.waitSandbox(sandbox.id)
            let stats = try await Self.stats(server, sandbox.id)
            let micros = try #require(stats["cpuMicros"] as? Int)
            // 0.5 CPU over 1.5 s is 750 ms; one more period of 100 ms for the edges.
            #expect(micros <= 850_000, "cpuMicros \(micros)")
            #expect(micros >= 100_000, "the loop ran: cpuMicros \(micros)")
        }
    }

    @Test func statsMatchTheCgroupFiles() async throws {
        let server = try TestServer()
        let spec: [String: Any] = ["command": ["sleep", "30"], "resources": ["memoryBytes": 32 << 20, "pids": 20]]
        try await server.withSandbox(spec) { sandbox in
            let id = sandbox.id
            let stats = try await Self.stats(server, id)
            let layout = server.sandboxes.cgroups
            if let pids = Self.directory(server, .pids, id) {
                #expect(stats["pidsLimit"] as? Int == 20)
                #expect(Proc.read(pids + "/pids.max") == "20\n")
                #expect(Int64(stats["pids"] as? Int ?? -1) == Self.number(pids + "/pids.current"))
            } else {
                #expect(stats["pids"] is NSNull && stats["pidsLimit"] is NSNull)
            }
            if let memory = Self.directory(server, .memory, id) {
                let unified = layout.unified.map { memory.hasPrefix($0) } ?? false
                let limit = Self.number(memory + (unified ? "/memory.max" : "/memory.limit_in_bytes"))
                #expect(Int64(stats["memoryLimitBytes"] as? Int ?? -1) == limit)
                let usage = try #require(Self.number(memory + (unified ? "/memory.current" : "/memory.usage_in_bytes")))
                let reported = Int64(try #require(stats["memoryBytes"] as? Int))
                #expect(abs(reported - usage) < 1 << 20, "memory \(reported) vs \(usage)")
                #expect(Int64(stats["memoryPeakBytes"] as? Int ?? 0) >= reported)
            }
            let sandboxJSON = try await server.get("/sandboxes/\(id)").json
            let path = try #require(sandboxJSON["cgroup"] as? String)
            #expect(FileManager.default.fileExists(atPath: path + "/cgroup.procs"))
            let inCgroup = Proc.read(path + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
            #expect(inCgroup.contains(sandbox.pid), "the init is in the sandbox's cgroup")
            // Inside, the cgroup namespace is rooted at the sandbox's cgroup.
            let inside = try await server.exec(id, ["cat", "/proc/self/cgroup"]).json["stdout"] as? String ?? ""
            #expect(!inside.isEmpty && inside.split(separator: "\n").allSatisfy { $0.hasSuffix(":/") }, "\(inside)")
        }
        #expect(Self.leftovers(server).isEmpty)
    }

    @Test func anExecCountsAgainstTheSandboxsPidsLimit() async throws {
        let server = try TestServer()
        try #require(server.sandboxes.cgroups.parents[.pids] != nil, "skipped: this host has no pids controller")
        // The init and sleep: two of two.
        try await server.withSandbox(["command": ["sleep", "30"], "resources": ["pids": 2]]) { sandbox in
            _ = await Proc.commandPid(ofInit: sandbox.pid)
            let refused = try await server.exec(sandbox.id, ["true"])
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.json["errno"] as? Int == Int(EAGAIN), "\(refused.text)")
        }
    }

    /// Without a pid namespace the init's death takes nothing with it; the cgroup does.
    @Test(arguments: [CgroupDriver.auto, .v1])
    func deleteKillsWhatDoubleForkedAndRemovesTheCgroup(driver: CgroupDriver) async throws {
        let server = try TestServer(cgroupDriver: driver)
        try #require(server.sandboxes.cgroups.enabled, "skipped: no cgroups for driver \(driver)")
        if driver == .v1 { try #require(server.sandboxes.cgroups.parents[.freezer] != nil, "skipped: no v1 freezer") }
        let escape = "setsid nohup sleep 1000 >/dev/null 2>&1 & (sleep 1001 >/dev/null 2>&1 &); echo forked"
        for keepRunning in [true, false] {
            let spec: [String: Any] = [
                "command": ["/bin/sh", "-c", escape + (keepRunning ? "; sleep 1002" : "")],
                "namespaces": ["mnt"], "privileged": true,
            ]
            let sandbox = try await server.createSandbox(spec)
            let path = try #require(sandbox["cgroup"] as? String)
            _ = try await server.logs(sandbox.id) { $0.contains("forked") }
            if !keepRunning { #expect(try await server.waitSandbox(sandbox.id)["state"] as? String == "exited") }
            var strays: [Int32] = []
            _ = eventually(5) {
                strays = Proc.read(path + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
                return strays.count >= (keepRunning ? 4 : 2)
            }
            #expect(strays.count >= 2, "the double-forked sleeps are in the cgroup: \(strays)")
            #expect(try await server.deleteSandbox(sandbox.id) == 204)
            for pid in strays {
                let state = Proc.status(pid)["State"] ?? "gone"
                #expect(state == "gone" || state.hasPrefix("Z"), "pid \(pid) still runs: \(state)")
            }
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) was removed")
        }
        #expect(Self.leftovers(server).isEmpty, "\(Self.leftovers(server))")
    }

    @Test func missingControllerIs422AndLeavesNothing() async throws {
        // cgroup2 here has no controllers: with --cgroup-driver v2 a memory limit cannot be had.
        let server = try TestServer(cgroupDriver: .v2)
        try #require(server.sandboxes.cgroups.enabled, "skipped: no cgroup2 hierarchy")
        try #require(server.sandboxes.cgroups.parents[.memory] == nil, "skipped: this host's cgroup2 has a memory controller")
        let refused = try await server.postJSON(
            "/sandboxes", ["command": ["sleep", "30"], "resources": ["memoryBytes": 64 << 20]])
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.json["type"] as? String == "urn:namespaced:problem:resource-unavailable")
        #expect(refused.json["controller"] as? String == "memory")
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
        #expect(Self.leftovers(server).isEmpty)
        // Without a pids controller there is no default pids limit, and placement still works.
        try await server.withSandbox(["command": ["/bin/true"]]) { sandbox in
            let resources = (sandbox["spec"] as? [String: Any])?["resources"] as? [String: Any]
            #expect(resources?["pids"] is NSNull)
            #expect((sandbox["cgroup"] as? String)?.hasPrefix(server.sandboxes.cgroups.unified ?? "-") == true)
        }

        let none = try TestServer(cgroupDriver: .none)
        let noCgroup = try await none.postJSON("/sandboxes", ["command": ["/bin/true"], "resources": ["pids": 10]])
        #expect(noCgroup.status == 422 && noCgroup.json["controller"] as? String == "pids", "\(noCgroup.text)")
        try await none.withSandbox(["command": ["/bin/true"]]) { sandbox in
            #expect(sandbox["cgroup"] is NSNull)
            let stats = try await Self.stats(none, sandbox.id)
            #expect(stats["pids"] is NSNull)
        }
    }

    @Test(arguments: [
        #"{"memoryBytes": 1024}"#, #"{"memoryBytes": 2199023255552}"#, #"{"memoryBytes": 1.5}"#, #"{"cpus": 0}"#,
        #"{"cpus": 0.001}"#, #"{"cpus": 2000}"#, #"{"cpus": "1"}"#, #"{"pids": 0}"#, #"{"pids": 4194305}"#,
        #"{"pids": -1}"#, #"{"logBytes": 10}"#, #"{"swap": 1}"#, #"[]"#,
    ])
    func badResourcesAre400(resources: String) async throws {
        let server = try TestServer()
        let body = #"{"command": ["/bin/true"], "resources": \#(resources)}"#
        let result = try await server.postRaw("/sandboxes", Data(body.utf8))
        #expect(result.status == 400, "\(resources): \(result.text)")
        #expect((result.json["detail"] as? String ?? "").contains("resources"), "\(result.text)")
        #expect(try await server.sandboxList().isEmpty)
        #expect(Self.leftovers(server).isEmpty)
    }

    /// The cgroup is recorded with the sandbox: after kill -9 and a restart, stats and DELETE work,
    /// and an empty cgroup of a sandbox the registry does not know is removed at start.
    @Test func statsAndDeleteWorkAfterKill9() async throws {
        let directory = NSTemporaryDirectory() + "nsd-cg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening, "\(first.output)")
        #expect(first.output.contains("cgroups: driver auto"), "the layout is logged at start: \(first.output)")
        let created = try await first.request(
            "POST", "/sandboxes", json: #"{"command": ["sleep", "300"], "resources": {"pids": 32}}"#)
        try #require(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        let path = try #require(created.json["cgroup"] as? String)
        let parent = (path as NSString).deletingLastPathComponent
        let orphan = parent + "/" + String(repeating: "ab", count: 16)
        #expect(mkdir(orphan, 0o755) == 0)
        first.kill9()

        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        try #require(second.isListening, "\(second.output)")
        #expect(!FileManager.default.fileExists(atPath: orphan), "the orphaned cgroup was removed at start")
        let stats = try await second.request("GET", "/sandboxes/\(id)/stats")
        #expect(stats.status == 200)
        #expect(stats.json["pidsLimit"] as? Int == 32 || stats.json["pidsLimit"] is NSNull, "\(stats.text)")
        #expect(stats.json["pids"] as? Int == 2 || stats.json["pids"] is NSNull, "init and sleep: \(stats.text)")
        let pids = Proc.read(path + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 2)
        #expect(try await second.request("DELETE", "/sandboxes/\(id)").status == 204)
        #expect(!FileManager.default.fileExists(atPath: path))
        for pid in pids {
            let state = Proc.status(pid)["State"] ?? "gone"
            #expect(state == "gone" || state.hasPrefix("Z"), "pid \(pid): \(state)")
        }
    }

    @Test func logBytesKeepsTheFirstPartAndAMarker() async throws {
        let server = try TestServer()
        let script = "head -c 100000 /dev/zero | tr '\\0' x; echo done >&2"
        try await server.withSandbox(["command": ["/bin/sh", "-c", script], "resources": ["logBytes": 5000]]) { sandbox in
            let exited = try await server.waitSandbox(sandbox.id)
            #expect(exited["exitCode"] as? Int == 0, "the writer was never blocked: \(exited)")
            let marker = "\n[namespaced: log truncated: resources.logBytes reached]\n"
            let log = try await server.logs(sandbox.id)
            #expect(log == String(repeating: "x", count: 5000) + marker, "\(log.count) bytes")
            let file = server.stateDirectory + "/sandboxes/\(sandbox.id)/stdout"
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue
            #expect(size == 5000 + marker.utf8.count, "the file on disk")
            #expect(try await server.logs(sandbox.id, stream: "stderr") == "done\n")
            #expect((exited["spec"] as? [String: Any]).flatMap { $0["resources"] as? [String: Any] }?["logBytes"] as? Int == 5000)
        }
        // The default cap is echoed.
        try await server.withSandbox(["command": ["/bin/true"]]) { sandbox in
            let resources = (sandbox["spec"] as? [String: Any])?["resources"] as? [String: Any]
            #expect(resources?["logBytes"] as? Int == 64 << 20)
        }
    }

    /// Below the reserve a create is refused before anything starts; above it, it works again.
    @Test func storageReserveRefusesCreatesBeforeAnythingStarts() async throws {
        try #require(Host.isRoot, "needs root to mount a tmpfs")
        let directory = NSTemporaryDirectory() + "nsd-reserve-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(try Host.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", directory]).status == 0)
        defer { _ = try? Host.run(["umount", "-l", directory]) }
        // A twentieth of 2 MiB: about 100 KiB kept free.
        let server = try TestServer(stateDirectory: directory + "/state", reserve: StorageReserve(bytes: 1 << 30))
        try await server.withSandbox(["command": ["/bin/true"]]) { _ in }
        _ = try Host.run(["dd", "if=/dev/zero", "of=\(directory)/filler", "bs=4k", "count=490"])
        let before = runningInits(in: server.stateDirectory).count
        let refused = try await server.postJSON("/sandboxes", ["command": ["sleep", "30"]])
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.json["type"] as? String == "urn:namespaced:problem:storage-unavailable")
        #expect((refused.json["detail"] as? String ?? "").contains("No space left"), "\(refused.text)")
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
        #expect(runningInits(in: server.stateDirectory).count == before)
        try FileManager.default.removeItem(atPath: directory + "/filler")
        try await server.withSandbox(["command": ["/bin/true"]]) { _ in }
    }

    @Test func statsOfAnUnknownSandboxIs404() async throws {
        let server = try TestServer()
        #expect(try await server.get("/sandboxes/nope/stats").status == 404)
    }
}
