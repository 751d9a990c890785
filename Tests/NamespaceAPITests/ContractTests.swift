import Foundation
import NamespaceAPI
import Testing

/// What api/openapi.yaml promises and the server must keep: one version string, no null in a
/// request, no null in the spec echo, stable step names.
struct ContractTests {
    @Test func oneVersionInTheDocumentTheRouteAndTheCommandLine() async throws {
        let text = try String(contentsOf: Host.packageRoot.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        let info = text.components(separatedBy: "\ninfo:\n")[1]
        let documented = info.split(separator: "\n").first { $0.hasPrefix("  version: ") }?.dropFirst("  version: ".count)
        #expect(documented.map(String.init) == NamespaceAPI.version)
        let server = try TestServer()
        #expect(try await server.get("/version").json["version"] as? String == NamespaceAPI.version)
        let flag = try Host.run([Host.serverBinary, "--version"])
        #expect(flag.output.trimmingCharacters(in: .whitespacesAndNewlines) == NamespaceAPI.version)
    }

    @Test(arguments: ["name", "hostname", "env", "namespaces", "labels", "user", "rootfs", "mounts", "privileged"])
    func anExplicitNullIsRefusedNamingTheMember(member: String) async throws {
        let server = try TestServer()
        let result = try await server.postRaw("/sandboxes", Data(#"{"command": ["true"], "\#(member)": null}"#.utf8))
        #expect(result.status == 400)
        #expect((result.json["detail"] as? String ?? "").hasPrefix("\(member): must not be null"), "\(result.text)")
        #expect(try await server.get("/sandboxes").items.isEmpty)
    }

    @Test func aNestedNullAndAnExecTimeoutNullAreRefused() async throws {
        let server = try TestServer()
        let nested = try await server.postRaw(
            "/sandboxes", Data(#"{"command": ["true"], "mounts": [{"type": "tmpfs", "target": "/x", "sizeBytes": null}]}"#.utf8))
        #expect(nested.status == 400)
        #expect((nested.json["detail"] as? String ?? "").hasPrefix("mounts[0].sizeBytes: must not be null"), "\(nested.text)")
        let exec = try await server.postRaw("/sandboxes/nope/exec", Data(#"{"command": ["true"], "timeout": null}"#.utf8))
        #expect(exec.status == 400)
        #expect((exec.json["detail"] as? String ?? "").hasPrefix("timeout: must not be null"), "\(exec.text)")
    }

    @Test func theSpecEchoHasNoNullAndCanBeSubmittedAgain() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let created = try await server.postJSON("/sandboxes", ["command": ["true"]])
        #expect(created.status == 201)
        let spec = try #require(created.json["spec"] as? [String: Any])
        #expect(!spec.values.contains { $0 is NSNull }, "\(spec)")
        for absent in ["name", "rootfs", "domainname", "uidMappings", "gidMappings", "timeOffsets"] {
            #expect(spec[absent] == nil, "\(absent) is in the echo")
        }
        let again = try await server.postJSON("/sandboxes", spec)
        #expect(again.status == 201, "\(again.text)")
        for id in [created.json["id"], again.json["id"]].compactMap({ $0 as? String }) {
            #expect(try await server.send("DELETE", "/sandboxes/\(id)").status == 204)
        }
    }

    @Test func aMissingRootfsIsNamedAndAnExecFailureHasItsOwnTitle() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let rootfs = try await server.postJSON("/sandboxes", ["command": ["true"], "rootfs": "/nonexistent"])
        #expect(rootfs.status == 422)
        #expect(rootfs.json["step"] as? String == "rootfs")
        #expect((rootfs.json["detail"] as? String ?? "").contains("/nonexistent"), "\(rootfs.text)")
        let running = try await server.postJSON("/sandboxes", ["command": ["sleep", "30"]])
        let id = try #require(running.json["id"] as? String)
        let exec = try await server.postJSON("/sandboxes/\(id)/exec", ["command": ["no-such-command"]])
        #expect(exec.status == 422)
        #expect(exec.json["title"] as? String == "Command could not start")
        #expect(exec.json["step"] as? String == "execve")
        #expect(try await server.send("DELETE", "/sandboxes/\(id)").status == 204)
    }

    @Test func anIdempotencyKeyReusedForAnotherBodyIs422() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let headers = ["Content-Type": "application/json", "Idempotency-Key": "contract-k1"]
        let first = try await server.send("POST", "/sandboxes", headers: headers, body: Data(#"{"command": ["true"]}"#.utf8))
        #expect(first.status == 201)
        let replay = try await server.send("POST", "/sandboxes", headers: headers, body: Data(#"{"command": ["true"]}"#.utf8))
        #expect(replay.status == 201 && replay.json["id"] as? String == first.json["id"] as? String)
        let other = try await server.send("POST", "/sandboxes", headers: headers, body: Data(#"{"command": ["false"]}"#.utf8))
        #expect(other.status == 422)
        #expect(other.json["type"] as? String == "urn:namespaced:problem:idempotency-mismatch")
        #expect(try await server.get("/sandboxes").items.count == 1)
        #expect(try await server.send("DELETE", "/sandboxes/\(first.json["id"] as? String ?? "")").status == 204)
    }
}
