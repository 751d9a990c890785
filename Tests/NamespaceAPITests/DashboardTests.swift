import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The dashboard in a real browser: headless Chromium, driven over the DevTools protocol.
@Suite struct DashboardTests {
    @Test func thePageShowsACreatedSandboxGoingFromRunningToExitedLive() async throws {
        let directory = NSTemporaryDirectory() + "nsd-ui-\(getpid())-\(UUID().uuidString.prefix(8))"
        let server = try ServerBinary(stateDirectory: directory)
        defer {
            server.stop()
            killSandboxes(in: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try #require(server.isListening, "\(server.output)")
        // The page's files are open to anyone; the data it shows is not.
        for path in ["/metrics", "/events", "/sandboxes", "/sandboxes/x/logs?follow=true"] {
            var request = URLRequest(url: URL(string: server.base + path)!)
            request.timeoutInterval = 10
            let (_, response) = try await TestServer.session.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 401, "\(path) without a token")
        }
        let plain = try await server.request("GET", "/ui/")
        #expect(plain.status == 200 && plain.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let created = try await server.request(
            "POST", "/sandboxes",
            json:
                #"{"name": "shown", "command": ["/bin/sh", "-c", "echo hello from the page; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo bye"]}"#
        )
        try #require(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        let screenshot = Host.packageRoot.appendingPathComponent("bench/out/ui.png").path
        try FileManager.default.createDirectory(
            atPath: (screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let python = Host.packageRoot.appendingPathComponent(".venv/bin/python").path
        let driver = Host.packageRoot.appendingPathComponent("Tests/tools/ui_check.py").path
        let run = try Host.run([python, driver, server.base + "/ui/#token=" + server.adminToken, id, screenshot, "50"])
        let seen = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
        #expect(run.status == 0, "the page did not show it: \(run.output)")
        #expect(seen["fragmentCleared"] as? Bool == true, "the token stays in the address bar")
        // The log was followed to its end, the exec ran in the sandbox and let it finish.
        #expect(seen["logs"] as? String == "hello from the page\nbye\n")
        #expect((seen["exec"] as? String)?.contains("[exit 0]") == true)
        #expect(seen["gauges"] as? Int == 8)
        // Every type the API lists is counted on the page with the same number.
        let counts = seen["typeCounts"] as? [String: Int] ?? [:]
        #expect(Set(counts.keys) == ["user", "pid", "mnt", "uts", "ipc", "net", "cgroup", "time"])
        #expect((counts["uts"] ?? 0) >= 1 && (seen["namespaceRows"] as? Int ?? 0) > 0)
        #expect(FileManager.default.fileExists(atPath: screenshot))
    }
}
