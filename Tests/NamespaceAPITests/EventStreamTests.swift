import Foundation
import NamespaceAPI
import Testing

/// `GET /events` read by curl, as a person or a dashboard would.
@Suite(.serialized) struct EventStreamTests {
    /// Events about one sandbox, in the order received.
    static func about(_ id: String, _ events: [SSEEvent]) -> [SSEEvent] {
        events.filter { $0.name.hasPrefix("sandbox.") && $0.json["id"] as? String == id }
    }

    @Test func aSandboxIsCreatedExitsAndIsDeletedWithIncreasingIdsAndAResumeGetsExactlyWhatItMissed() async throws {
        let server = try TestServer()
        let stream = try CurlStream(server.base + "/events?type=sandbox")
        try #require(await eventuallyAsync(5) { stream.text.hasPrefix("retry:") }, "no stream: \(stream.text)")
        let sandbox = try await server.createSandbox(["command": ["/bin/sh", "-c", "exit 3"]])
        _ = try await server.waitSandbox(sandbox.id)
        #expect(try await server.deleteSandbox(sandbox.id) == 204)
        #expect(await eventuallyAsync(5) { Self.about(sandbox.id, stream.events).count == 3 })
        let seen = Self.about(sandbox.id, stream.events)
        #expect(seen.map(\.name) == ["sandbox.created", "sandbox.exited", "sandbox.deleted"])
        let ids = stream.events.compactMap(\.id)
        #expect(ids.count == stream.events.count, "every event carries an id")
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "ids strictly increase: \(ids)")
        #expect(seen.first?.json["state"] as? String == "running")
        #expect(seen.dropFirst().first?.json["exitCode"] as? Int == 3)
        #expect(seen.last?.json["state"] as? String == "exited")

        // Reconnecting after the creation gets the exit and the removal, nothing more, nothing less.
        let created = try #require(seen.first?.id)
        for resume in [["Last-Event-ID": String(created)], [:]] {
            let url = server.base + "/events?type=sandbox" + (resume.isEmpty ? "&since=\(created)" : "")
            let again = try CurlStream(url, headers: resume, seconds: 2)
            _ = again.waitForEnd(5)
            #expect(again.events.map(\.name) == ["sandbox.exited", "sandbox.deleted"], "\(resume): \(again.text)")
            #expect(again.events.map(\.id) == seen.dropFirst().map(\.id))
        }
    }

    @Test func anIdOlderThanTheRingGetsAResetAndTheTypeFilterHolds() async throws {
        var settings = NamespaceAPI.EventSettings()
        settings.ringCapacity = 4
        let server = try TestServer(events: settings)
        let all = try CurlStream(server.base + "/events?type=sandbox")
        let exits = try CurlStream(server.base + "/events?type=sandbox.exited")
        try #require(await eventuallyAsync(5) { all.text.hasPrefix("retry:") && exits.text.hasPrefix("retry:") })
        var ids: [String] = []
        for _ in 0..<3 {
            let sandbox = try await server.createSandbox(["command": ["true"]])
            _ = try await server.waitSandbox(sandbox.id)
            ids.append(sandbox.id)
        }
        #expect(await eventuallyAsync(5) { all.events.count == 6 && exits.events.count == 3 })
        #expect(exits.events.allSatisfy { $0.name == "sandbox.exited" })
        #expect(exits.events.compactMap { $0.json["id"] as? String } == ids)

        // Six events, four kept: resuming after the first misses the second, so the client must re-list.
        let first = try #require(all.events.first?.id)
        let late = try CurlStream(server.base + "/events?type=sandbox&since=\(first)", seconds: 2)
        _ = late.waitForEnd(5)
        #expect(late.events.first?.name == "reset", "\(late.text)")
        #expect(late.events.count == 1, "after a reset only new events follow: \(late.text)")
        // Resuming inside the ring replays from there.
        let third = try #require(all.events.dropFirst(2).first?.id)
        let inside = try CurlStream(server.base + "/events?type=sandbox&since=\(third)", seconds: 2)
        _ = inside.waitForEnd(5)
        #expect(inside.events.map(\.id) == all.events.dropFirst(3).map(\.id))

        let bad = try await server.get("/events?type=sandbox,bogus")
        #expect(bad.status == 400 && bad.text.contains("bogus"))
        let badID = try await server.get("/events", headers: ["Last-Event-ID": "x1"])
        #expect(badID.status == 400)
    }

    @Test func keepAliveCommentsFlowOnAnIdleStream() async throws {
        var settings = NamespaceAPI.EventSettings()
        settings.keepAliveSeconds = 1
        let server = try TestServer(events: settings)
        let stream = try CurlStream(server.base + "/events?type=limits", seconds: 4)
        #expect(await eventuallyAsync(6) { stream.text.contains(": keep-alive\n\n") }, "\(stream.text)")
    }

    @Test func aNamespaceMadeOnTheHostIsAnnouncedWithinTwoSeconds() async throws {
        let server = try TestServer()
        let stream = try CurlStream(server.base + "/events?type=namespace")
        try #require(await eventuallyAsync(5) { stream.text.hasPrefix("retry:") })
        // The first rescan sets the baseline: let it happen before the namespace appears.
        try await Task.sleep(for: .milliseconds(1500))
        let holder = try Background(["unshare", "--uts", "sleep", "10"])
        defer { holder.stop() }
        let hostUTS = Host.readlinkInode("/proc/self/ns/uts")
        var inode: UInt64?
        // env execs unshare, which execs sleep in the new namespace: the same pid, once it differs.
        _ = await eventuallyAsync(5) {
            inode = Host.readlinkInode("/proc/\(holder.pid)/ns/uts")
            return inode != nil && inode != hostUTS
        }
        let expected = try #require(inode)
        // A rescan a second: ~2 s on a quiet host; the bound leaves room for a busy one.
        let announced = await eventuallyAsync(10) {
            stream.events.contains { $0.name == "namespace.created" && ($0.json["inode"] as? NSNumber)?.uint64Value == expected }
        }
        #expect(announced, "uts namespace \(expected) not announced: \(stream.text.suffix(600))")
        holder.stop()
        let removed = await eventuallyAsync(10) {
            stream.events.contains { $0.name == "namespace.removed" && ($0.json["inode"] as? NSNumber)?.uint64Value == expected }
        }
        #expect(removed)
    }
}
