import Foundation
import Testing

/// api/openapi.yaml and the server describe the same routes.
struct OpenAPIContractTests {
    /// `path -> [method]` from the document's `paths:` section, read by indentation.
    static func documentedOperations() throws -> Set<String> {
        let url = Host.packageRoot.appendingPathComponent("api/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        var operations = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) { operations.insert("\(method) \(path)") }
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let server = try TestServer()
        let served = Set(server.api.routes.map { "\($0.method) \($0.pattern)" })
        let documented = try Self.documentedOperations()
        #expect(documented.count >= 15)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented))")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served))")
    }

    @Test func problemTypesInTheDocumentAreTheOnesTheServerUses() throws {
        let url = Host.packageRoot.appendingPathComponent("api/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        for slug in [
            "invalid-request", "unauthorized", "not-found", "method-not-allowed", "conflict", "payload-too-large",
            "unsupported-media-type", "namespace-limit", "sandbox-quota", "spawn-failed", "internal", "storage-unavailable",
            "unavailable", "exec-limit", "idempotency-mismatch", "link-failed",
        ] {
            #expect(text.contains("urn:namespaced:problem:\(slug)"), "\(slug) is not documented")
        }
    }
}
