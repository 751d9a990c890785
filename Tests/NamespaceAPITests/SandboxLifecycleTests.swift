import Foundation
import Testing

/// A sandbox's life through the API: wait, signal, exec, logs, delete, filters, many at once,
/// and creations that fail at spawn time.
struct SandboxLifecycleTests {
    @Test func waitReportsTheExitCode() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let sandbox = try await server.createSandbox(["command": ["/bin/sh", "-c", "exit 7"]])
        #expect(sandbox.state == "running" || sandbox.state == "exited")
        let exited = try await server.waitSandbox(sandbox.id, timeout: 10)
        #expect(exited.state == "exited")
        #expect(exited["exitCode"] as? Int == 7)
        #expect(exited["signal"] is NSNull)
        #expect(exited["exitedAt"] is String)
        #expect(try await server.get("/sandboxes/\(sandbox.id)").json["exitCode"] as? Int == 7)
        #expect(Proc.isGone(sandbox.pid))
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
    }

    @Test(arguments: ["TERM", "SIGTERM", 15] as [any Sendable])
    func signalTerminatesAndIsReportedAsSIGTERM(signal: any Sendable) async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let sandbox = try await server.createSandbox(["command": ["sleep", "30"]])
        let bogus = try await server.signal(sandbox.id, "SIGBOGUS")
        #expect(bogus.status == 400)
        #expect(bogus.json["type"] as? String == "urn:namespaced:problem:invalid-request")
        #expect((bogus.json["detail"] as? String ?? "").contains("signal"))
        #expect(try await server.signal(sandbox.id, 0).status == 400)
        let sent = try await server.signal(sandbox.id, signal)
        #expect(sent.status == 204, "\(sent.text)")
        let exited = try await server.waitSandbox(sandbox.id, timeout: 10)
        #expect(exited.state == "exited")
        #expect(exited["signal"] as? String == "SIGTERM")
        #expect(exited["exitCode"] is NSNull)
        let again = try await server.signal(sandbox.id, "TERM")
        #expect(again.status == 409)
        #expect(again.json["type"] as? String == "urn:namespaced:problem:conflict")
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
    }

    @Test func deleteKillsReapsAndForgetsARunningSandbox() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let sandbox = try await server.createSandbox(["command": ["sleep", "300"], "name": "to-delete"])
        let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
        #expect(server.sandboxDirectories == [sandbox.id])
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
        #expect(Proc.isGone(sandbox.pid), "the init is neither running nor a zombie")
        #expect(Proc.isGone(command), "the command is neither running nor a zombie")
        #expect(!FileManager.default.fileExists(atPath: server.stateDirectory + "/sandboxes/\(sandbox.id)"))
        #expect(try await server.get("/sandboxes/\(sandbox.id)").status == 404)
        #expect(try await server.get("/sandboxes/to-delete").status == 404)
        #expect(try await server.deleteSandbox(sandbox.id) == 404)
        #expect(try await server.sandboxList().isEmpty)
        // The name is free again.
        let reused = try await server.createSandbox(["command": ["true"], "name": "to-delete"])
        #expect(try await server.deleteSandbox(reused.id) == 204)
    }

    @Test func execRunsInTheSandboxAndReportsHostnameAndExitCode() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "60"], "hostname": "exec-box"]) { sandbox in
            let result = try await server.exec(sandbox.id, ["/bin/sh", "-c", "hostname; exit 3"])
            #expect(result.status == 200, "\(result.text)")
            #expect(result.json["stdout"] as? String == "exec-box\n")
            #expect(result.json["stderr"] as? String == "")
            #expect(result.json["exitCode"] as? Int == 3)
            #expect(result.json["signal"] is NSNull)
            #expect(result.json["truncated"] as? Bool == false)
            let pid = try await server.exec(sandbox.id, ["/bin/sh", "-c", "readlink /proc/self/ns/pid; cd /proc && echo [0-9]*"])
            let lines = (pid.json["stdout"] as? String ?? "").split(separator: "\n")
            #expect(lines.first.map(String.init) == "pid:[\(sandbox.namespace("pid") ?? 0)]")
            let pids = lines.dropFirst().first?.split(separator: " ").compactMap { Int($0) } ?? []
            #expect(pids.contains(1) && pids.contains(2) && pids.count == 3, "init, command and the exec: \(lines)")
        }
    }

    @Test func execReportsSignalsByName() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "60"]]) { sandbox in
            let term = try await server.exec(sandbox.id, ["/bin/sh", "-c", "kill -TERM $$"])
            #expect(term.json["signal"] as? String == "SIGTERM")
            #expect(term.json["exitCode"] is NSNull)
            // A real-time signal: glibc's SIGRTMIN is 34.
            let realtime = try await server.exec(sandbox.id, ["/bin/sh", "-c", "kill -s 36 $$"])
            #expect(realtime.json["signal"] as? String == "SIGRTMIN+2", "\(realtime.text)")
        }
    }

    @Test func execOnAnExitedSandboxIs409() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let sandbox = try await server.createSandbox(["command": ["true"]])
        _ = try await server.waitSandbox(sandbox.id, timeout: 10)
        let result = try await server.exec(sandbox.id, ["true"])
        #expect(result.status == 409)
        #expect(result.json["type"] as? String == "urn:namespaced:problem:conflict")
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
    }

    @Test func execTimeoutKillsTheCommand() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "60"]]) { sandbox in
            let started = Date()
            let result = try await server.exec(sandbox.id, ["sleep", "30"], timeout: 1)
            #expect(Date().timeIntervalSince(started) < 5)
            #expect(result.status == 200)
            #expect(result.json["signal"] as? String == "SIGKILL")
            #expect(result.json["exitCode"] is NSNull)
            // The sandbox itself keeps running.
            #expect(try await server.get("/sandboxes/\(sandbox.id)").json["state"] as? String == "running")
            #expect(Proc.children(of: sandbox.pid).count == 1)
        }
    }

    /// Against the server binary in its own process: this exec used to crash the server.
    @Test func execOutputIsCappedAt1MiB() throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try SandboxServerProcess()
        let created = try server.request("POST", "/sandboxes", json: #"{"command": ["sleep", "60"]}"#)
        try #require(created.status == 201, "\(created.body)")
        let pid = created.body.pid
        defer { kill(pid, SIGKILL) }  // in case the server is gone and cannot delete it
        let result = try server.request(
            "POST", "/sandboxes/\(created.body.id)/exec",
            json: #"{"command": ["/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo small >&2"]}"#)
        #expect(server.isRunning, "the server crashed on an exec whose output exceeds the cap")
        #expect(result.status == 200)
        #expect((result.body["stdout"] as? String)?.utf8.count == 1 << 20)
        #expect(result.body["stderr"] as? String == "small\n")
        #expect(result.body["truncated"] as? Bool == true)
        #expect(result.body["exitCode"] as? Int == 0)
        if server.isRunning { #expect(try server.request("DELETE", "/sandboxes/\(created.body.id)").status == 204) }
    }

    @Test func logsAreSplitByStream() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let sandbox = try await server.createSandbox(["command": ["/bin/sh", "-c", "echo out; echo err >&2"]])
        _ = try await server.waitSandbox(sandbox.id, timeout: 10)
        #expect(try await server.logs(sandbox.id) == "out\n")
        #expect(try await server.logs(sandbox.id, stream: "stdout") == "out\n")
        #expect(try await server.logs(sandbox.id, stream: "stderr") == "err\n")
        let logs = try await server.get("/sandboxes/\(sandbox.id)/logs")
        #expect(logs.header("Content-Type") == "application/octet-stream")
        let text = try await server.get("/sandboxes/\(sandbox.id)/logs", headers: ["Accept": "text/plain"])
        #expect(text.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(String(decoding: text.data, as: UTF8.self) == "out\n")
        // The files on disk are what the route serves.
        #expect(Proc.read(server.stateDirectory + "/sandboxes/\(sandbox.id)/stderr") == "err\n")
        let bogus = try await server.get("/sandboxes/\(sandbox.id)/logs?stream=bogus")
        #expect(bogus.status == 400)
        #expect((bogus.json["detail"] as? String ?? "").contains("stream"))
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
    }

    /// Deleted sandboxes' directories are emptied and reused (new inodes are slow on ext4): a new
    /// sandbox must never see a byte of an old one's logs or exit record, and the pool is bounded.
    @Test func recycledDirectoriesCarryNothingOver() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let spare = server.stateDirectory + "/spare"
        func spares() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: spare)) ?? []).sorted() }
        let old = try await server.createSandbox(["command": ["/bin/sh", "-c", "echo secret-out; echo secret-err >&2; exit 5"]])
        #expect(try await server.waitSandbox(old.id, timeout: 10)["exitCode"] as? Int == 5)
        #expect(try await server.deleteSandbox(old.id) == 204)
        let kept = spares()
        #expect(kept.count == 1)
        for name in ["stdout", "stderr", "exit"] {
            #expect(Proc.read(spare + "/\(kept.first ?? "")/\(name)") == "", "\(name) was not emptied")
        }
        let new = try await server.createSandbox(["command": ["sleep", "30"]])
        #expect(spares().isEmpty, "the spare directory was not reused")
        #expect(server.sandboxDirectories == [new.id])
        // While it runs, its files are its own and empty: no record, no old output.
        #expect(try await server.get("/sandboxes/\(new.id)").json["exitCode"] is NSNull)
        #expect(Proc.read(server.stateDirectory + "/sandboxes/\(new.id)/exit") == "")
        #expect(try await server.signal(new.id, "TERM").status == 204)
        let exited = try await server.waitSandbox(new.id, timeout: 10)
        #expect(exited["signal"] as? String == "SIGTERM")
        #expect(Proc.read(server.stateDirectory + "/sandboxes/\(new.id)/exit").hasPrefix("signal 15 "))
        #expect(try await server.logs(new.id, stream: "stdout") == "")
        #expect(try await server.logs(new.id, stream: "stderr") == "")
        #expect(try await server.deleteSandbox(new.id) == 204)
        // Without its own pid namespace a sandbox may leave a process holding its log: its
        // directory is removed, never handed to another sandbox.
        #expect(spares().count == 1)
        let shared = try await server.createSandbox(["command": ["true"], "namespaces": ["uts"], "privileged": true])
        #expect(spares().isEmpty)
        _ = try await server.waitSandbox(shared.id, timeout: 10)
        #expect(try await server.deleteSandbox(shared.id) == 204)
        #expect(spares().isEmpty, "a directory without a pid namespace's guarantee was kept")
        #expect(server.sandboxDirectories.isEmpty)
        // At most 64 are kept; the rest are removed. (No ipc namespace: another test compares the
        // host's ipc namespace counts meanwhile, and a loop of those would churn them.)
        var ids: [String] = []
        for _ in 0..<70 {
            ids.append(try await server.createSandbox(["command": ["true"], "namespaces": ["pid"], "privileged": true]).id)
        }
        for id in ids { _ = try await server.waitSandbox(id, timeout: 10) }
        for id in ids { #expect(try await server.deleteSandbox(id) == 204) }
        #expect(spares().count == 64)
        #expect(server.sandboxDirectories.isEmpty)
    }

    @Test func fortyConcurrentCreatesSucceedAndAreAllReaped() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let created = try await withThrowingTaskGroup(of: (Int, String, Int32).self) { group in
            for index in 0..<40 {
                group.addTask {
                    let result = try await server.postJSON(
                        "/sandboxes",
                        [
                            "command": ["/bin/sh", "-c", "exit \(index % 5)"],
                            "labels": ["batch": "forty"],
                        ])
                    return (result.status, result.json.id, result.json.pid)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(created.map(\.0) == Array(repeating: 201, count: 40))
        #expect(Set(created.map(\.1)).count == 40)
        for (_, id, _) in created {
            let exited = try await server.waitSandbox(id, timeout: 30)
            #expect(exited.state == "exited")
        }
        #expect(await eventuallyAsync { created.allSatisfy { Proc.isGone($0.2) } }, "every init has been reaped")
        #expect(await eventuallyAsync { Proc.zombieChildren().isEmpty }, "zombies: \(Proc.zombieChildren())")
        #expect(try await server.sandboxList("?label=batch=forty").count == 40)
        for (_, id, _) in created { #expect(try await server.deleteSandbox(id) == 204) }
        #expect(server.sandboxDirectories.isEmpty)
    }

    @Test func listFiltersByLabelAndStateAndGetFindsByNameOrId() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let a = try await server.createSandbox(["command": ["sleep", "60"], "name": "alpha", "labels": ["team": "a"]])
        let b = try await server.createSandbox([
            "command": ["sleep", "60"], "name": "beta", "labels": ["team": "b", "tier": "x"],
        ])
        let c = try await server.createSandbox(["command": ["true"], "name": "gamma", "labels": ["team": "a"]])
        _ = try await server.waitSandbox(c.id, timeout: 10)
        func ids(_ query: String) async throws -> [String] { try await server.sandboxList(query).map(\.id) }
        #expect(try await ids("") == [a.id, b.id, c.id])
        #expect(try await ids("?label=team=a") == [a.id, c.id])
        #expect(try await ids("?label=team=b&label=tier=x") == [b.id])
        #expect(try await ids("?label=team=a&label=tier=x") == [])
        #expect(try await ids("?state=running") == [a.id, b.id])
        #expect(try await ids("?state=exited") == [c.id])
        #expect(try await ids("?state=running&label=team=a") == [a.id])
        #expect(try await server.get("/sandboxes?state=bogus").status == 400)
        #expect(try await server.get("/sandboxes?label=novalue").status == 400)
        let byName = try await server.get("/sandboxes/beta")
        let byID = try await server.get("/sandboxes/\(b.id)")
        #expect(byName.status == 200 && byID.status == 200)
        #expect(byName.json.id == b.id)
        #expect(byName.text == byID.text)
        #expect(byName.json["labels"] as? [String: String] == ["team": "b", "tier": "x"])
        #expect(try await server.get("/sandboxes/nope").status == 404)
        for sandbox in [a, b, c] { #expect(try await server.deleteSandbox(sandbox.id) == 204) }
    }

    @Test func duplicateNameIs409AndCreatesNothing() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "60"], "name": "web-1"]) { sandbox in
            let second = try await server.postJSON("/sandboxes", ["command": ["sleep", "60"], "name": "web-1"])
            #expect(second.status == 409)
            #expect(second.json["type"] as? String == "urn:namespaced:problem:conflict")
            #expect((second.json["detail"] as? String ?? "").contains("web-1"))
            #expect(try await server.sandboxList().map(\.id) == [sandbox.id])
            #expect(server.sandboxDirectories == [sandbox.id])
        }
    }

    @Test(arguments: [
        (["definitely-not-a-command-nsd"], nil as String?),
        (["/nonexistent/bin/nsd"], nil),
        (["/bin/sh", "-c", "true"], "/nonexistent-rootfs-nsd"),
    ])
    func spawnFailuresAre422AndLeaveNothingBehind(command: [String], rootfs: String?) async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        var spec: [String: Any] = ["command": command]
        if let rootfs { spec["rootfs"] = rootfs }
        let result = try await server.postJSON("/sandboxes", spec)
        #expect(result.status == 422, "\(result.text)")
        #expect(result.json["type"] as? String == "urn:namespaced:problem:spawn-failed")
        #expect(result.json["errno"] as? Int == 2)
        let step = result.json["step"] as? String ?? ""
        #expect(!step.isEmpty)
        let detail = result.json["detail"] as? String ?? ""
        #expect(detail.contains(step) && detail.contains("errno 2"), "\(detail)")
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
        #expect(await eventuallyAsync { Proc.zombieChildren().isEmpty })
    }
}
