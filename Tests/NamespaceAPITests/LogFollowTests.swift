import Foundation
import Testing

/// `GET /sandboxes/{ref}/logs?follow=true` read by curl.
@Suite struct LogFollowTests {
    @Test func linesArriveWhileTheCommandRunsAndTheStreamEndsAtExitWithEveryByte() async throws {
        let server = try TestServer()
        // The command writes a line, then waits (in its private /tmp) for the test to let it go on.
        let script =
            "echo line 1; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo line 2; "
            + "head -c 200000 /dev/zero | tr '\\0' x; echo; echo end"
        try await server.withSandbox(["command": ["/bin/sh", "-c", script]]) { sandbox in
            let follow = try CurlStream(server.base + "/sandboxes/\(sandbox.id)/logs?follow=true")
            // The first line arrives while the sandbox runs, and the stream stays open.
            #expect(await eventuallyAsync(10) { follow.text == "line 1\n" }, "\(follow.text.prefix(200))")
            try await Task.sleep(for: .milliseconds(300))
            #expect(follow.isRunning && follow.text == "line 1\n")
            #expect(try await server.get("/sandboxes/\(sandbox.id)").json["state"] as? String == "running")
            #expect(try await server.exec(sandbox.id, ["touch", "/tmp/go"]).status == 200)
            // It ends by itself after the exit, with exactly what the plain log holds.
            #expect(await eventuallyAsync(20) { !follow.isRunning }, "the stream did not end at exit")
            let whole = try await server.logs(sandbox.id)
            #expect(whole.hasSuffix("end\n") && whole.utf8.count > 200_000)
            #expect(follow.text == whole)
            // A follow of an exited sandbox is the whole log at once.
            let again = try CurlStream(server.base + "/sandboxes/\(sandbox.id)/logs?follow=true&stream=stdout")
            #expect(await eventuallyAsync(10) { !again.isRunning })
            #expect(again.text == whole)
        }
        let bad = try await server.get("/sandboxes/x/logs?follow=yes")
        #expect(bad.status == 400)
    }
}
