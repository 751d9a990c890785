import Foundation
import Testing

/// The state directory trusts nothing inside it: links planted by a sandbox, a second server, a
/// directory others can write, a journal that cannot be written. Each test runs the real server.
@Suite(.serialized) struct StateDirectoryTests {
    static func stateDirectory(mode: mode_t? = nil) throws -> String {
        let path = NSTemporaryDirectory() + "nsd-statedir-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let mode { try #require(chmod(path, mode) == 0) }
        return path
    }

    /// Whether the server exited with a failure by itself; one still running is stopped.
    static func refusedToStart(_ server: ServerBinary) -> Bool {
        guard eventually(10, { !server.process.isRunning }) else {
            server.stop()
            return false
        }
        server.process.waitUntilExit()
        return server.process.terminationStatus != 0
    }

    enum Plant: String, CaseIterable, Sendable { case symlink, hardlink }

    /// A sandbox that replaces its own `stdout` log with a link to `target` and then waits. Any
    /// sandbox that sees the host's state directory writable can do it (today every sandbox
    /// does; with confinement, a privileged one).
    static func linkPlantingSpec(_ plant: Plant, target: String) -> String {
        let link = plant == .symlink ? "ln -s" : "ln"
        // The log files its init writes name the sandbox's directory (the command writes into
        // pipes); a directory not found plants nothing.
        let script =
            #"for f in /proc/1/fd/*; do t=$(readlink "$f"); case "$t" in */stderr) d=$(dirname "$t");; esac; done; [ -n "$d" ] && rm -f "$d/stdout" && \#(link) '\#(target)' "$d/stdout" && echo planted >&2; exec sleep 300"#
        // A confined sandbox cannot see the state directory at all: planting takes privileged.
        let body: [String: Any] = ["command": ["/bin/sh", "-c", script], "privileged": true]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    /// Content and size as the host sees them.
    static func snapshot(_ path: String) -> (content: Data?, size: Int64, links: Int) {
        var facts = stat()
        guard stat(path, &facts) == 0 else { return (nil, -1, 0) }
        return (FileManager.default.contents(atPath: path), Int64(facts.st_size), Int(facts.st_nlink))
    }

    @Test(arguments: Plant.allCases)
    func plantedStdoutLinkIsNeverWrittenThrough(plant: Plant) async throws {
        try #require(Host.isRoot, "needs root to create sandboxes")
        let directory = try Self.stateDirectory()
        // On the state directory's file system, so a hard link can be made.
        let target = NSTemporaryDirectory() + "nsd-host-file-\(getpid())-\(UUID().uuidString.prefix(8))"
        let secret = Data("host file: must stay as it is\n".utf8)
        try secret.write(to: URL(fileURLWithPath: target))
        defer { try? FileManager.default.removeItem(atPath: target) }
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let server = try ServerBinary(stateDirectory: directory)
        defer { server.stop() }
        try #require(server.isListening, "\(server.output)")

        let created = try await server.request("POST", "/sandboxes", json: Self.linkPlantingSpec(plant, target: target))
        try #require(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        var planted = false
        for _ in 0..<100 where !planted {
            planted = try await server.request("GET", "/sandboxes/\(id)/logs?stream=stderr").text.contains("planted")
            if !planted { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(planted, "the sandbox could not plant its link")
        let stdoutPath = (directory as NSString).resolvingSymlinksInPath + "/sandboxes/\(id)/stdout"
        var linkFacts = stat()
        try #require(lstat(stdoutPath, &linkFacts) == 0)
        if plant == .symlink { #expect(linkFacts.st_mode & S_IFMT == S_IFLNK) } else { #expect(linkFacts.st_nlink == 2) }

        let shown = try await server.request("GET", "/sandboxes/\(id)/logs")
        #expect(shown.status == 200)
        #expect(!shown.text.contains("host file"), "the logs route read the host file through the link")

        #expect(try await server.request("DELETE", "/sandboxes/\(id)").status == 204)
        let after = Self.snapshot(target)
        #expect(after.content == secret, "DELETE changed the link's target")
        #expect(after.size == Int64(secret.count))
        #expect(after.links == 1, "the planted hard link was left behind")

        // The next sandboxes (they reuse emptied directories) write only their own logs.
        for round in 0..<3 {
            let next = try await server.request(
                "POST", "/sandboxes", json: #"{"command":["/bin/sh","-c","echo LEAKED-\#(round); echo LEAKED-\#(round) >&2"]}"#)
            try #require(next.status == 201, "\(next.text)")
            let nextID = try #require(next.json["id"] as? String)
            _ = try await server.request("POST", "/sandboxes/\(nextID)/wait?timeout=10")
            #expect(try await server.request("GET", "/sandboxes/\(nextID)/logs").text == "LEAKED-\(round)\n")
            #expect(Self.snapshot(target).content == secret, "a later sandbox's output reached the host file")
            #expect(try await server.request("DELETE", "/sandboxes/\(nextID)").status == 204)
        }
        #expect(Self.snapshot(target).content == secret)
    }

    @Test func secondServerOnALockedStateDirectoryRefusesAndNamesTheHolder() async throws {
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ServerBinary(stateDirectory: directory)
        defer { first.stop() }
        try #require(first.isListening, "\(first.output)")
        let second = try ServerBinary(stateDirectory: directory)
        try #require(Self.refusedToStart(second), "\(second.output)")
        #expect(eventually(3) { second.output.contains("in use by another namespaced (pid \(first.pid)") }, "\(second.output)")
        #expect(second.output.contains(directory))
        // The first server is untouched and keeps serving.
        #expect(try await first.request("GET", "/sandboxes").status == 200)
        // Its lock dies with it: a successor starts.
        first.kill9()
        let third = try ServerBinary(stateDirectory: directory)
        defer { third.stop() }
        #expect(third.isListening, "\(third.output)")
    }

    @Test(arguments: [mode_t(0o777), mode_t(0o1777), mode_t(0o770)])
    func stateDirectoryOthersCanWriteIsRefused(mode: mode_t) async throws {
        let directory = try Self.stateDirectory(mode: mode)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerBinary(stateDirectory: directory)
        try #require(Self.refusedToStart(server), "\(server.output)")
        #expect(
            eventually(3) {
                server.output.contains(
                    "state directory \(directory): is writable by group or others (mode \(String(mode, radix: 8)))")
            },
            "\(server.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "nothing was written into it")
        var facts = stat()
        #expect(stat(directory, &facts) == 0 && facts.st_mode & 0o7777 == mode, "its mode is the operator's to fix")
    }

    @Test func parentOthersCanWriteIsRefusedUnlessSticky() async throws {
        let parent = try Self.stateDirectory(mode: 0o777)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let refused = try ServerBinary(stateDirectory: parent + "/state")
        try #require(Self.refusedToStart(refused), "\(refused.output)")
        #expect(
            eventually(3) {
                refused.output.contains(
                    "state directory \(parent): (the state directory's parent) is writable by group or others")
            },
            "\(refused.output)")
        try #require(chmod(parent, 0o1777) == 0)
        let accepted = try ServerBinary(stateDirectory: parent + "/state")
        defer { accepted.stop() }
        #expect(accepted.isListening, "\(accepted.output)")
        var facts = stat()
        #expect(stat(parent + "/state", &facts) == 0 && facts.st_mode & 0o7777 == 0o700, "created 0700")
    }

    @Test func stateDirectoryOfAnotherUserIsRefused() async throws {
        try #require(Host.isRoot, "needs root to give the directory away")
        let directory = try Self.stateDirectory(mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(chown(directory, 65534, 65534) == 0)
        let server = try ServerBinary(stateDirectory: directory)
        try #require(Self.refusedToStart(server), "\(server.output)")
        #expect(
            eventually(3) { server.output.contains("state directory \(directory): is owned by uid 65534, not 0") },
            "\(server.output)")
    }

    /// The journal entry of a DELETE comes before the kill: a journal that cannot be written
    /// leaves the sandbox running and answers 503.
    @Test func deleteWithAnImmutableJournalAnswers503AndTheSandboxRunsOn() async throws {
        try #require(Host.isRoot, "needs root for chattr and sandboxes")
        let directory = try Self.stateDirectory()
        defer {
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let server = try ServerBinary(stateDirectory: directory)
        defer { server.stop() }
        try #require(server.isListening, "\(server.output)")
        let created = try await server.request("POST", "/sandboxes", json: #"{"name":"kept","command":["sleep","300"]}"#)
        try #require(created.status == 201)
        let pid = try #require(created.json["pid"] as? Int)
        let journal = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasPrefix("journal.") && $0.hasSuffix(".log") }
                .max { UInt64($0.split(separator: ".")[1])! < UInt64($1.split(separator: ".")[1])! })
        let journalPath = directory + "/" + journal
        let chattr = try Host.run(["chattr", "+i", journalPath])
        try #require(chattr.status == 0, "chattr +i failed: the file system must support the immutable flag")
        defer { _ = try? Host.run(["chattr", "-i", journalPath]) }

        let refused = try await server.request("DELETE", "/sandboxes/kept")
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.json["type"] as? String == "urn:namespaced:problem:storage-unavailable")
        let state = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let processState = state.flatMap { $0.split(separator: ")").last?.split(separator: " ").first }
        #expect(processState != nil && processState != "Z", "the sandbox was killed: \(state ?? "gone")")
        #expect(try await server.request("GET", "/sandboxes/kept").json["state"] as? String == "running")
        // A snapshot taken now still holds it: restart and find it.
        _ = try Host.run(["chattr", "-i", journalPath])
        server.stop()
        let restarted = try ServerBinary(stateDirectory: directory)
        defer { restarted.stop() }
        try #require(restarted.isListening, "\(restarted.output)")
        let found = try await restarted.request("GET", "/sandboxes/kept")
        #expect(found.json["state"] as? String == "running")
        #expect(found.json["pid"] as? Int == pid)
        #expect(try await restarted.request("DELETE", "/sandboxes/kept").status == 204)
        #expect(eventually(5) { kill(Int32(pid), 0) != 0 }, "the deleted sandbox still runs")
    }
}
