import Foundation
import Testing

/// The registry survives kill -9, damage and full disks; sandboxes outlive the server.
@Suite(.serialized) struct DurabilityTests {
    static func stateDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "nsd-durable-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func create(_ server: ServerBinary, _ json: String) async throws -> [String: Any] {
        let result = try await server.request("POST", "/sandboxes", json: json)
        #expect(result.status == 201, "\(result.text)")
        return result.json
    }

    static func sandboxes(_ server: ServerBinary) async throws -> [String: [String: Any]] {
        let items = try await server.request("GET", "/sandboxes").items
        return Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as! String, $0) })
    }

    @Test func sandboxesAndExitCodesSurviveKill9() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening, "server did not start: \(first.output)")
        var created: [String: [String: Any]] = [:]
        for index in 0..<2 {
            let long = try await Self.create(first, #"{"name":"long-\#(index)","command":["sleep","300"]}"#)
            created[long["id"] as! String] = long
            let short = try await Self.create(first, #"{"name":"short-\#(index)","command":["sh","-c","sleep 1; exit 3"]}"#)
            created[short["id"] as! String] = short
        }
        first.kill9()
        try await Task.sleep(for: .seconds(2))
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        try #require(second.isListening, "server did not restart: \(second.output)")
        let after = try await Self.sandboxes(second)
        #expect(Set(after.keys) == Set(created.keys))
        for (id, before) in created {
            let now = try #require(after[id])
            #expect(now["pid"] as? Int == before["pid"] as? Int)
            #expect(now["name"] as? String == before["name"] as? String)
            if (before["name"] as! String).hasPrefix("long") {
                #expect(now["state"] as? String == "running")
            } else {
                #expect(now["state"] as? String == "exited")
                #expect(now["exitCode"] as? Int == 3)
                #expect(now["exitStatusUnknown"] as? Bool == false)
            }
        }
        // Re-adopted sandboxes are fully manageable.
        let long = try #require(created.first { ($0.value["name"] as! String) == "long-0" }?.key)
        let exec = try await second.request("POST", "/sandboxes/\(long)/exec", json: #"{"command":["hostname"]}"#)
        #expect(exec.json["stdout"] as? String == "long-0\n")
        #expect(try await second.request("POST", "/sandboxes/\(long)/signal", json: #"{"signal":"SIGTERM"}"#).status == 204)
        let waited = try await second.request("POST", "/sandboxes/\(long)/wait?timeout=10")
        #expect(waited.json["signal"] as? String == "SIGTERM")
        #expect(try await second.request("DELETE", "/sandboxes/\(long)").status == 204)
    }

    @Test func kill9DuringABurstLosesNoAcknowledgedSandbox() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening, "server did not start: \(first.output)")
        let acknowledged = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let result = try? await first.request(
                        "POST", "/sandboxes", json: #"{"command":["sleep","300"],"labels":{"n":"\#(index)"}}"#)
                    return result?.status == 201 ? result?.json["id"] as? String : nil
                }
            }
            try await Task.sleep(for: .milliseconds(150))
            first.kill9()
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        try #require(second.isListening, "server did not restart: \(second.output)")
        let after = try await Self.sandboxes(second)
        for id in acknowledged { #expect(after[id] != nil, "sandbox \(id) got a 201 and was lost") }
        let running = Set(after.filter { $0.value["state"] as? String == "running" }.keys)
        #expect(eventually(5) { Set(runningInits(in: directory).values) == running })
    }

    /// Two clean restarts leave snapshot generations 2 and 3; damage the newest one.
    static func prepareGenerations(_ directory: String) async throws -> String {
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening)
        let sandbox = try await create(first, #"{"name":"kept","command":["sh","-c","exit 4"]}"#)
        _ = try await first.request("POST", "/sandboxes/kept/wait?timeout=10")
        first.stop()
        let second = try ServerBinary(stateDirectory: directory)
        second.stop()
        return sandbox["id"] as! String
    }

    static func newestSnapshot(_ directory: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("snapshot.") && $0.hasSuffix(".json") }
            .sorted { UInt64($0.split(separator: ".")[1])! < UInt64($1.split(separator: ".")[1])! }
        return directory + "/" + (try #require(names.last))
    }

    /// The journal entry is written while the init sets up; a setup that then fails (here: no such
    /// rootfs) is answered 422 and its entry deleted again, so a restart shows nothing of it.
    @Test func aStartThatFailsAfterItsEntryWasWrittenIsGoneAfterKill9() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening, "server did not start: \(first.output)")
        let failed = try await first.request(
            "POST", "/sandboxes", json: #"{"name":"doomed","command":["/bin/true"],"rootfs":"/nonexistent-rootfs-nsd"}"#)
        #expect(failed.status == 422, "\(failed.text)")
        #expect(failed.json["type"] as? String == "urn:namespaced:problem:spawn-failed")
        let kept = try await Self.create(first, #"{"name":"kept","command":["sleep","300"]}"#)
        first.kill9()
        try await Task.sleep(for: .seconds(1))
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        try #require(second.isListening, "server did not restart: \(second.output)")
        let after = try await Self.sandboxes(second)
        #expect(Array(after.keys) == [kept["id"] as! String], "\(after.values.map { $0["name"] ?? "" })")
        #expect(try await second.request("GET", "/sandboxes/doomed").status == 404)
        // The name is free.
        let again = try await Self.create(second, #"{"name":"doomed","command":["true"]}"#)
        #expect(try await second.request("POST", "/sandboxes/\(again["id"] as! String)/wait?timeout=10").status == 200)
        #expect(try await second.request("DELETE", "/sandboxes/\(again["id"] as! String)").status == 204)
        #expect(try await second.request("DELETE", "/sandboxes/\(kept["id"] as! String)").status == 204)
    }

    @Test(arguments: ["truncated", "garbage", "unknown version"])
    func damagedSnapshotFallsBackToThePreviousGeneration(damage: String) async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let id = try await Self.prepareGenerations(directory)
        let newest = try Self.newestSnapshot(directory)
        let original = try Data(contentsOf: URL(fileURLWithPath: newest))
        let bad: Data
        switch damage {
        case "truncated": bad = original.prefix(original.count / 2)
        case "garbage": bad = Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        default:
            bad = Data(
                String(decoding: original, as: UTF8.self).replacingOccurrences(of: "\"format\":1", with: "\"format\":99").utf8)
        }
        try bad.write(to: URL(fileURLWithPath: newest))
        let server = try ServerBinary(stateDirectory: directory)
        defer { server.stop() }
        try #require(server.isListening, "server refused to start: \(server.output)")
        #expect(server.output.contains(newest), "the log names the damaged file")
        #expect(server.output.contains("recovered from the previous generation"))
        let kept = try await server.request("GET", "/sandboxes/\(id)")
        #expect(kept.status == 200)
        #expect(kept.json["exitCode"] as? Int == 4)
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".bad-") }
        #expect(aside.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + aside[0])) == bad, "the bad bytes are kept")
    }

    @Test func noReadableGenerationRefusesToStartUnlessAllowed() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await Self.prepareGenerations(directory)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("snapshot.") }
        #expect(snapshots.count == 2)
        for name in snapshots { try Data("{\"format\":".utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        let refused = try ServerBinary(stateDirectory: directory)
        refused.process.waitUntilExit()
        #expect(refused.process.terminationStatus != 0)
        #expect(eventually(3) { refused.output.contains("no readable registry snapshot") }, "\(refused.output)")
        #expect(refused.output.contains("--allow-empty-registry"))
        let allowed = try ServerBinary(stateDirectory: directory, arguments: ["--allow-empty-registry"])
        defer { allowed.stop() }
        try #require(allowed.isListening, "\(allowed.output)")
        #expect(try await allowed.request("GET", "/sandboxes").items.isEmpty)
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".bad-") }
        #expect(aside.count == 2, "both damaged snapshots are kept")
    }

    @Test func fullStateDirectoryAnswers503AndLeavesNothingRunning() async throws {
        try #require(Host.isRoot, "needs root to mount a tmpfs")
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(try Host.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", directory]).status == 0)
        defer { _ = try? Host.run(["umount", "-l", directory]) }
        let server = try ServerBinary(stateDirectory: directory)
        defer {
            server.stop()
            killSandboxes(in: directory)
        }
        try #require(server.isListening, "\(server.output)")
        _ = try await Self.create(server, #"{"name":"before","command":["sleep","300"]}"#)
        // Fill the file system to the last byte.
        _ = try Host.run(["dd", "if=/dev/zero", "of=\(directory)/filler", "bs=4k"])
        let snapshot = try Self.newestSnapshot(directory)
        let good = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        // The journal's last page may still have room for an entry or two; the next one cannot fit.
        var acknowledged = 1
        var refused: HTTPResult?
        for index in 0..<40 {
            let result = try await server.request(
                "POST", "/sandboxes", json: #"{"name":"after-\#(index)","command":["sleep","300"]}"#)
            if result.status == 201 {
                acknowledged += 1
                continue
            }
            refused = result
            #expect(try await server.request("GET", "/sandboxes/after-\(index)").status == 404)
            break
        }
        let answer = try #require(refused, "every create succeeded on a full file system")
        #expect(answer.status == 503, "\(answer.text)")
        #expect(answer.json["type"] as? String == "urn:namespaced:problem:storage-unavailable")
        #expect((answer.json["detail"] as? String ?? "").contains("No space left"), "\(answer.text)")
        #expect(eventually(5) { runningInits(in: directory).count == acknowledged }, "only acknowledged sandboxes run")
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == good, "the last good snapshot is intact")
    }

    @Test func sigtermExitsZeroAndSandboxesKeepRunning() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening)
        let sandbox = try await Self.create(first, #"{"command":["sleep","300"]}"#)
        // A client waiting on the sandbox is answered, not cut off, when the server stops.
        let id = sandbox["id"] as! String
        let waiting = Task { try await first.request("POST", "/sandboxes/\(id)/wait?timeout=60") }
        try await Task.sleep(for: .milliseconds(300))
        first.process.terminate()
        let answer = try await waiting.value
        #expect(answer.status == 503)
        #expect(answer.json["type"] as? String == "urn:namespaced:problem:unavailable")
        #expect(eventually(5) { !first.process.isRunning })
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
        let pid = try #require(sandbox["pid"] as? Int)
        #expect(kill(Int32(pid), 0) == 0, "the sandbox outlived the server")
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        let found = try await second.request("GET", "/sandboxes/\(sandbox["id"] as! String)")
        #expect(found.json["state"] as? String == "running")
        #expect(found.json["pid"] as? Int == pid)
    }

    @Test func idempotencyKeySurvivesARestart() async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let first = try ServerBinary(stateDirectory: directory)
        try #require(first.isListening)
        let body = #"{"command":["sleep","300"]}"#
        let original = try await first.request("POST", "/sandboxes", json: body, headers: ["Idempotency-Key": "retry-me"])
        #expect(original.status == 201)
        let retried = try await first.request("POST", "/sandboxes", json: body, headers: ["Idempotency-Key": "retry-me"])
        #expect(retried.json["id"] as? String == original.json["id"] as? String)
        first.kill9()
        let second = try ServerBinary(stateDirectory: directory)
        defer { second.stop() }
        let afterRestart = try await second.request("POST", "/sandboxes", json: body, headers: ["Idempotency-Key": "retry-me"])
        #expect(afterRestart.status == 201)
        #expect(afterRestart.json["id"] as? String == original.json["id"] as? String)
        #expect(try await second.request("GET", "/sandboxes").items.count == 1)
        #expect(try await second.request("POST", "/sandboxes", json: body, headers: ["Idempotency-Key": "bad key"]).status == 400)
    }
}
