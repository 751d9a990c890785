import Foundation
import Testing

/// Every bound of SandboxSpec: a 400 whose detail names the member, and nothing created.
struct SandboxValidationTests {
    struct InvalidSpec: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        /// Text the problem's detail must contain (the member); nil for body-level errors.
        var member: String?

        var testDescription: String { name }

        init(_ name: String, _ body: String, member: String?) {
            self.name = name
            self.body = body
            self.member = member
        }

        /// A spec with `command: ["true"]` plus `members` (raw JSON text after the command).
        static func with(_ name: String, _ members: String, member: String?) -> InvalidSpec {
            InvalidSpec(name, #"{"command": ["true"]"# + (members.isEmpty ? "" : ", " + members) + "}", member: member)
        }
    }

    static func json(_ value: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
    }

    static let mapping = #"{"insideId": 0, "outsideId": 100000, "count": 65536}"#
    static let withUser = #""namespaces": ["mnt", "uts", "ipc", "pid", "net", "cgroup", "user"]"#
    static let withTime = #""namespaces": ["mnt", "uts", "ipc", "pid", "net", "cgroup", "time"]"#

    static let cases: [InvalidSpec] = [
        .with("unknown member", #""colour": "red""#, member: "colour"),
        InvalidSpec("missing command", #"{"name": "x"}"#, member: "command"),
        InvalidSpec("empty command", #"{"command": []}"#, member: "command"),
        InvalidSpec("empty argv[0]", #"{"command": [""]}"#, member: "command[0]"),
        InvalidSpec("4097-element command", json(["command": Array(repeating: "a", count: 4097)]), member: "command"),
        InvalidSpec("10000-element command", json(["command": Array(repeating: "a", count: 10_000)]), member: "command"),
        InvalidSpec("65 KiB argument", json(["command": ["echo", String(repeating: "a", count: 65537)]]), member: "command[1]"),
        InvalidSpec("argument with NUL", #"{"command": ["echo", "a\u0000b"]}"#, member: "command[1]"),
        InvalidSpec("command is a string", #"{"command": "ls"}"#, member: "command"),
        InvalidSpec("command holds a number", #"{"command": ["ls", 5]}"#, member: "command"),
        .with("namespaces is a string", #""namespaces": "pid""#, member: "namespaces"),
        .with("hostname is a number", #""hostname": 5"#, member: "hostname"),
        .with("readonlyRootfs is a string", #""readonlyRootfs": "yes""#, member: "readonlyRootfs"),
        .with("unknown namespace type", #""namespaces": ["pid", "bogus"]"#, member: "namespaces"),
        .with("duplicate namespace", #""namespaces": ["pid", "uts", "pid"]"#, member: "namespaces"),
        .with("bad name", #""name": "Web!""#, member: "name"),
        .with("name too long", #""name": "\#(String(repeating: "a", count: 64))""#, member: "name"),
        .with("hostname with underscore", #""hostname": "a_b""#, member: "hostname"),
        .with("hostname of 65 bytes", #""hostname": "\#(String(repeating: "a", count: 60)).bbbb""#, member: "hostname"),
        .with("hostname without uts", #""namespaces": ["pid"], "hostname": "box""#, member: "hostname"),
        .with("domainname without uts", #""namespaces": ["pid"], "domainname": "example""#, member: "domainname"),
        .with("domainname of 65 bytes", #""domainname": "\#(String(repeating: "d", count: 65))""#, member: "domainname"),
        .with("relative rootfs", #""rootfs": "srv/rootfs""#, member: "rootfs"),
        .with("rootfs with ..", #""rootfs": "/srv/../etc""#, member: "rootfs"),
        .with("rootfs without mnt", #""namespaces": ["pid", "uts"], "rootfs": "/srv/rootfs""#, member: "rootfs"),
        .with("relative cwd", #""cwd": "a/b""#, member: "cwd"),
        .with("cwd with ..", #""cwd": "/tmp/../etc""#, member: "cwd"),
        .with("env key starting with a digit", #""env": {"1A": "x"}"#, member: "env"),
        .with("env key with a dash", #""env": {"A-B": "x"}"#, member: "env"),
        .with("env value with NUL", #""env": {"A": "x\u0000y"}"#, member: "env"),
        .with("env value not a string", #""env": {"A": 1}"#, member: "env"),
        InvalidSpec(
            "env with 4097 entries",
            json(["command": ["true"], "env": Dictionary(uniqueKeysWithValues: (0..<4097).map { ("K\($0)", "v") })]),
            member: "env"),
        .with("uidMappings without user", #""uidMappings": [\#(mapping)]"#, member: "uidMappings"),
        .with("gidMappings without user", #""gidMappings": [\#(mapping)]"#, member: "gidMappings"),
        .with(
            "overlapping uidMappings",
            withUser
                + #", "uidMappings": [{"insideId": 0, "outsideId": 100000, "count": 10}, {"insideId": 5, "outsideId": 200000, "count": 10}]"#,
            member: "uidMappings"),
        .with(
            "overlapping outside ids",
            withUser
                + #", "gidMappings": [{"insideId": 0, "outsideId": 100000, "count": 10}, {"insideId": 100, "outsideId": 100005, "count": 10}]"#,
            member: "gidMappings"),
        .with(
            "mapping count 0", withUser + #", "uidMappings": [{"insideId": 0, "outsideId": 100000, "count": 0}]"#,
            member: "uidMappings"),
        .with("no mappings", withUser + #", "uidMappings": []"#, member: "uidMappings"),
        .with(
            "341 mappings",
            withUser + ", \"uidMappings\": ["
                + (0..<341).map {
                    #"{"insideId": \#($0), "outsideId": \#(100000 + $0), "count": 1}"#
                }.joined(separator: ", ") + "]", member: "uidMappings"),
        .with(
            "mapping beyond 2^32", withUser + #", "uidMappings": [{"insideId": 0, "outsideId": 4294967295, "count": 2}]"#,
            member: "uidMappings"),
        .with(
            "mapping id negative", withUser + #", "uidMappings": [{"insideId": -1, "outsideId": 100000, "count": 1}]"#,
            member: "uidMappings"),
        .with(
            "mapping id beyond 2^32", withUser + #", "uidMappings": [{"insideId": 4294967296, "outsideId": 100000, "count": 1}]"#,
            member: "uidMappings"),
        .with("user.uid negative", withUser + #", "user": {"uid": -1, "gid": 0}"#, member: "user.uid"),
        .with(
            "unknown mapping member", withUser + #", "uidMappings": [{"insideId": 0, "outsideId": 100000, "count": 1, "x": 1}]"#,
            member: "x"),
        .with("user.uid not mapped", withUser + #", "user": {"uid": 70000, "gid": 0}"#, member: "user.uid"),
        .with("user.gid not mapped", withUser + #", "user": {"uid": 0, "gid": 70000}"#, member: "user.gid"),
        .with("timeOffsets without time", #""timeOffsets": {"boottime": 10}"#, member: "timeOffsets"),
        .with(
            "timeOffsets beyond 2^31", withTime + #", "timeOffsets": {"boottime": 2147483648}"#, member: "timeOffsets.boottime"),
        .with(
            "timeOffsets below -2^31", withTime + #", "timeOffsets": {"monotonic": -2147483649}"#, member: "timeOffsets.monotonic"
        ),
        InvalidSpec(
            "labels with 65 entries",
            json(["command": ["true"], "labels": Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })]),
            member: "labels"),
        .with("label value of 256 bytes", #""labels": {"k": "\#(String(repeating: "v", count: 256))"}"#, member: "labels"),
        .with("label key of 64 bytes", #""labels": {"\#(String(repeating: "k", count: 64))": "v"}"#, member: "labels"),
        .with(
            "JSON nested 100 levels", #""labels": "# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
            member: nil),
        InvalidSpec("malformed JSON", "{", member: nil),
        InvalidSpec("array body", "[]", member: nil),
        InvalidSpec("empty body", "", member: nil),
        InvalidSpec("null body", "null", member: nil),
    ]

    @Test(arguments: cases)
    func invalidSpecIs400NamingTheMemberAndCreatesNothing(spec: InvalidSpec) async throws {
        let server = try TestServer()
        let result = try await server.postRaw("/sandboxes", Data(spec.body.utf8))
        #expect(result.status == 400, "\(result.text)")
        #expect(result.header("Content-Type") == "application/problem+json")
        #expect(result.json["type"] as? String == "urn:namespaced:problem:invalid-request")
        let detail = result.json["detail"] as? String ?? ""
        #expect(!detail.isEmpty)
        if let member = spec.member { #expect(detail.contains(member), "detail '\(detail)' names \(member)") }
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
        // Still serving.
        #expect(try await server.get("/healthz").status == 200)
    }

    @Test func nonJSONContentTypeIs415() async throws {
        let server = try TestServer()
        let result = try await server.postRaw("/sandboxes", Data(#"{"command": ["true"]}"#.utf8), contentType: "text/plain")
        #expect(result.status == 415)
        #expect(result.json["type"] as? String == "urn:namespaced:problem:unsupported-media-type")
        let missing = try await server.send("POST", "/sandboxes", body: Data(#"{"command": ["true"]}"#.utf8))
        #expect(missing.status == 415)
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
    }

    @Test func twoMiBBodyIs413() async throws {
        let server = try TestServer()
        let big = #"{"command": ["echo", ""# + String(repeating: "a", count: 2 << 20) + #""]}"#
        let result = try await server.postRaw("/sandboxes", Data(big.utf8))
        #expect(result.status == 413)
        #expect(result.json["type"] as? String == "urn:namespaced:problem:payload-too-large")
        #expect(try await server.sandboxList().isEmpty)
        #expect(server.sandboxDirectories.isEmpty)
    }

    @Test func invalidExecAndSignalBodiesAre400() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "60"]]) { sandbox in
            for body in [
                #"{"command": []}"#, #"{"command": ["true"], "timeout": 0}"#, #"{"command": ["true"], "timeout": 301}"#,
                #"{"command": ["true"], "cwd": "rel"}"#, #"{"command": ["true"], "env": {"1A": "x"}}"#,
                #"{"command": ["true"], "extra": 1}"#,
            ] {
                let result = try await server.postRaw("/sandboxes/\(sandbox.id)/exec", Data(body.utf8))
                #expect(result.status == 400, "\(body) → \(result.status) \(result.text)")
            }
            for body in [
                #"{"signal": "BOGUS"}"#, #"{"signal": 0}"#, #"{"signal": 1000}"#, #"{"signal": true}"#, #"{}"#,
                #"{"signal": "TERM", "extra": 1}"#,
            ] {
                let result = try await server.postRaw("/sandboxes/\(sandbox.id)/signal", Data(body.utf8))
                #expect(result.status == 400, "\(body) → \(result.status) \(result.text)")
            }
            #expect(try await server.get("/sandboxes/\(sandbox.id)").json.state == "running")
        }
    }
}
