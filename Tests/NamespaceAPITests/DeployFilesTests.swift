import Foundation
import Testing

/// deploy/grafana-dashboard.json asks only for metrics the server really exposes.
@Suite struct DeployFilesTests {
    @Test func everyDashboardQueryNamesAMetricOfALiveScrape() async throws {
        let server = try TestServer()
        // One create and one refusal, so that the create families have samples.
        let sandbox = try await server.createSandbox(["command": ["true"]])
        _ = try await server.postJSON("/sandboxes", ["command": []])
        _ = try await server.waitSandbox(sandbox.id)
        let scrape = try await server.get("/metrics")
        let file = NSTemporaryDirectory() + "nsd-scrape-\(UUID().uuidString.prefix(8))"
        try scrape.data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let python = Host.packageRoot.appendingPathComponent(".venv/bin/python").path
        let check = Host.packageRoot.appendingPathComponent("Tests/tools/check_deploy.py").path
        let dashboard = Host.packageRoot.appendingPathComponent("deploy/grafana-dashboard.json").path
        let run = try Host.run([python, check, dashboard, file])
        #expect(run.status == 0, "\(run.output)")
        _ = try await server.deleteSandbox(sandbox.id)
    }
}
