import Foundation
import HTTPServer
import NamespaceKit

/// `/healthz`, `/version`, `/openapi.yaml`.
struct ServiceRoutes {
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

    /// The probe route, answered without credentials.
    func registerHealth(in group: inout RouterGroup) {
        group.on("GET", "/healthz", scope: .read) { _ in .now(Self.healthy) }
    }

    func register(in group: inout RouterGroup) {
        let about = Version(version: NamespaceAPI.version, apiVersion: "v1", kernel: HostInfo.kernelRelease)
        group.on("GET", "/version", scope: .read) { _ throws(Problem) in try JSON.response(about) }
        let document = openAPIDocument
        group.on("GET", "/openapi.yaml", scope: .read) { _ throws(Problem) in
            guard let document else { throw .notFound("the OpenAPI document is not installed next to the server") }
            return .now(.text(document, contentType: "application/yaml"))
        }
    }
}
