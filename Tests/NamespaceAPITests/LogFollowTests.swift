import Foundation
import Testing

/// `GET /sandboxes/{ref}/logs?follow=true` read by curl.
@Suite struct LogFollowTests {
    @Test func linesArriveWhileTheCommandRunsAndTheStreamEndsAtExitWithEveryByte() async throws {
        let server = try TestServer()
        let script = "for i in 1 2 3; do echo line $i; sleep 0.4; done; head -c 200000 /dev/zero | tr '\\0' x; echo; echo end"
        try await server.withSandbox(["command": ["/bin/sh", "-c", script]]) { sandbox in
            let follow = try CurlStream(server.base + "/sandboxes/\(sandbox.id)/logs?follow=true")
            // The first line is there while the sandbox still runs.
            #expect(await eventuallyAsync(5) { follow.text.hasPrefix("line 1\n") })
            #expect(try await server.get("/sandboxes/\(sandbox.id)").json["state"] as? String == "running")
            #expect(!follow.text.contains("end"))
            // It ends by itself after the exit, with exactly what the plain log holds.
            #expect(await eventuallyAsync(10) { !follow.isRunning }, "the stream did not end at exit")
            let whole = try await server.logs(sandbox.id)
            #expect(whole.hasSuffix("end\n") && whole.utf8.count > 200_000)
            #expect(follow.text == whole)
            // A follow of an exited sandbox is the whole log at once.
            let again = try CurlStream(server.base + "/sandboxes/\(sandbox.id)/logs?follow=true&stream=stdout")
            #expect(await eventuallyAsync(5) { !again.isRunning })
            #expect(again.text == whole)
        }
        let bad = try await server.get("/sandboxes/x/logs?follow=yes")
        #expect(bad.status == 400)
    }
}
