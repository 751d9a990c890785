import Foundation
import HTTPServer
import NamespaceKit

/// `/healthz`, `/version`, `/openapi.yaml`.
struct ServiceRoutes {
    static let version = "0.1.0"
    private static let healthy = {
        let body = Array(#"{"status":"ok"}"#.utf8)
        // Tagged once: probes poll this route more than any other.
        return Response.json(body).adding("ETag", ETag.of(body))
    }()

    let openAPIDocument: String?

    struct Version: Encodable {
        var version: String
        var apiVersion: String
        var kernel: String
    }

    func register(in router: inout Router) {
        router.add("GET", "/healthz") { _ in .now(Self.healthy) }
        let about = Version(version: Self.version, apiVersion: "v1", kernel: HostInfo.kernelRelease)
        router.add("GET", "/version") { _ throws(Problem) in try JSON.response(about) }
        let document = openAPIDocument
        router.add("GET", "/openapi.yaml") { _ throws(Problem) in
            guard let document else { throw .notFound("the OpenAPI document is not installed next to the server") }
            return .now(.text(document, contentType: "application/yaml"))
        }
    }
}
