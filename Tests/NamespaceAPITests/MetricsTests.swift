import Foundation
import Testing

/// `/metrics` read by prometheus_client's parser and checked against the API's own answers.
@Suite struct MetricsTests {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static let python = Host.packageRoot.appendingPathComponent(".venv/bin/python").path
    static let parser = Host.packageRoot.appendingPathComponent("Tests/tools/parse_metrics.py").path

    static func scrape(_ server: TestServer) async throws -> [Sample] {
        let result = try await server.get("/metrics")
        #expect(result.status == 200)
        #expect(result.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let file = NSTemporaryDirectory() + "nsd-metrics-\(UUID().uuidString.prefix(8))"
        try result.data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let parsed = try Host.run([python, parser, file])
        try #require(parsed.status == 0, "the Prometheus parser refused the exposition: \(result.text.prefix(400))")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(parsed.output.utf8)) as? [[String: Any]])
        return list.map {
            Sample(
                name: $0["name"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:],
                value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    @Test func countersMoveWithRequestsAndGaugesAgreeWithTheAPI() async throws {
        let server = try TestServer()
        let running = try await server.createSandbox(["command": ["sleep", "30"]])
        let exited = try await server.createSandbox(["command": ["true"]])
        _ = try await server.waitSandbox(exited.id)
        #expect(try await server.postJSON("/sandboxes", ["command": ["true"], "bogus": 1]).status == 400)
        let before = try await Self.scrape(server)
        for _ in 0..<5 { _ = try await server.get("/namespaces") }
        _ = try await server.get("/sandboxes/\(running.id)")
        let after = try await Self.scrape(server)

        let namespaces = ["method": "GET", "route": "/namespaces", "status": "200"]
        let grew =
            (Self.value(after, "namespaced_http_requests_total", namespaces) ?? 0)
            - (Self.value(before, "namespaced_http_requests_total", namespaces) ?? 0)
        #expect(grew == 5)
        // The route's pattern is the label, never the raw path.
        #expect(Self.value(after, "namespaced_http_requests_total", ["route": "/sandboxes/{ref}", "status": "200"]) == 1)
        #expect(!after.contains { $0.labels["route"]?.contains(running.id) == true })
        #expect(Self.value(after, "namespaced_http_request_duration_seconds_count", namespaces) == 5)
        #expect(Self.value(after, "namespaced_sandbox_creates_total", ["result": "created"]) == 2)
        #expect(Self.value(after, "namespaced_sandbox_creates_total", ["result": "invalid-request"]) == 1)
        #expect(Self.value(after, "namespaced_sandbox_create_duration_seconds_count") == 2)
        #expect((Self.value(after, "namespaced_journal_sync_duration_seconds_count") ?? 0) >= 1)

        // Sandboxes by state agree with the list.
        for state in ["running", "exited"] {
            let listed = try await server.sandboxList("?state=\(state)").count
            #expect(Self.value(after, "namespaced_sandboxes", ["state": state]) == Double(listed), "\(state)")
        }
        // Namespaces by type agree with /namespaces (other work on the host changes the count:
        // a scrape between two equal listings is compared).
        var agreed = false
        for _ in 0..<10 where !agreed {
            let first = try await server.get("/namespaces").items
            let scraped = try await Self.scrape(server)
            let second = try await server.get("/namespaces").items
            let counts = Dictionary(grouping: first, by: { $0["type"] as? String ?? "" }).mapValues(\.count)
            let again = Dictionary(grouping: second, by: { $0["type"] as? String ?? "" }).mapValues(\.count)
            guard counts == again else { continue }
            agreed = counts.allSatisfy { Self.value(scraped, "namespaced_namespaces", ["type": $0.key]) == Double($0.value) }
        }
        #expect(agreed, "namespaced_namespaces never matched GET /namespaces")
        let limits = try await server.get("/limits").items
        for limit in limits {
            let type = limit["type"] as? String ?? ""
            #expect(
                Self.value(after, "namespaced_namespace_limit_max", ["type": type]) == (limit["max"] as? NSNumber)?.doubleValue)
        }
        _ = try await server.deleteSandbox(running.id)
        _ = try await server.deleteSandbox(exited.id)
    }
}
