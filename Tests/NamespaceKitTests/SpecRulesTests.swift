import Foundation
import Testing
@testable import NamespaceKit

/// Every input bound of a SandboxSpec, at the bound and one past it, through the same path a
/// request body takes: JSON decoding, then resolve().
struct SpecRulesTests {
    /// Decodes `members` (JSON object members without the braces) and resolves the spec.
    static func resolve(_ members: String) throws -> SandboxSpec {
        let request = try JSONDecoder().decode(SandboxSpecRequest.self, from: Data("{\(members)}".utf8))
        return try request.resolve()
    }

    /// The member a spec is refused for, or nil when it resolves (decoding errors are not SpecErrors).
    static func refusal(_ members: String) throws -> String? {
        do {
            _ = try resolve(members)
            return nil
        } catch let error as SpecError {
            return error.member
        }
    }

    static func decodingFails(_ members: String) -> Bool {
        (try? JSONDecoder().decode(SandboxSpecRequest.self, from: Data("{\(members)}".utf8))) == nil
    }

    static let run = #""command":["/bin/true"]"#

    static func json(_ value: String) -> String {
        String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }

    static func strings(_ count: Int, _ value: String = "x") -> String {
        "[" + Array(repeating: json(value), count: count).joined(separator: ",") + "]"
    }

    static func object(_ count: Int, key: (Int) -> String, value: String = "v") -> String {
        "{" + (0..<count).map { "\(json(key($0))):\(json(value))" }.joined(separator: ",") + "}"
    }

    @Test func defaultsAreFilledIn() throws {
        let spec = try Self.resolve(Self.run)
        #expect(spec.command == ["/bin/true"])
        #expect(spec.namespaces == SandboxSpec.defaultNamespaces)
        #expect(spec.env == ["PATH": SandboxSpec.defaultPath])
        #expect(spec.cwd == "/")
        #expect(spec.mountProc)
        #expect(!spec.readonlyRootfs)
        #expect(spec.user == SandboxSpec.Identity(uid: 0, gid: 0))
        #expect(spec.uidMappings == nil && spec.timeOffsets == nil && spec.labels.isEmpty)
        let user = try Self.resolve(#"\#(Self.run),"namespaces":["user","time"],"privileged":true"#)
        #expect(user.uidMappings == SandboxSpec.defaultMapping && user.gidMappings == SandboxSpec.defaultMapping)
        #expect(user.timeOffsets == SandboxSpec.TimeOffsets(monotonic: 0, boottime: 0))
        #expect(!user.mountProc)
    }

    @Test func name() throws {
        for good in ["a", "0", "a_b.c-d", String(repeating: "n", count: 63)] {
            #expect(try Self.refusal(#"\#(Self.run),"name":\#(Self.json(good))"#) == nil, "\(good)")
        }
        for bad in ["", String(repeating: "n", count: 64), "_a", ".a", "-a", "A", "a b", "a/b", "é"] {
            #expect(try Self.refusal(#"\#(Self.run),"name":\#(Self.json(bad))"#) == "name", "\(bad)")
        }
    }

    @Test func command() throws {
        #expect(try Self.refusal(#""name":"a""#) == "command")
        #expect(try Self.refusal(#""command":[]"#) == "command")
        #expect(try Self.refusal(#""command":\#(Self.strings(4096))"#) == nil)
        #expect(try Self.refusal(#""command":\#(Self.strings(4097))"#) == "command")
        let long = String(repeating: "a", count: 65536)
        #expect(try Self.refusal(#""command":["/bin/echo",\#(Self.json(long))]"#) == nil)
        #expect(try Self.refusal(#""command":["/bin/echo",\#(Self.json(long + "a"))]"#) == "command[1]")
        #expect(try Self.refusal(#""command":["/bin/echo","a\u0000b"]"#) == "command[1]")
        #expect(try Self.refusal(#""command":[""]"#) == "command[0]")
        #expect(Self.decodingFails(#""command":"/bin/true""#))
        #expect(Self.decodingFails(#""command":[1]"#))
    }

    @Test func env() throws {
        #expect(try Self.refusal(#"\#(Self.run),"env":\#(Self.object(4096, key: { "K\($0)" }))"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"env":\#(Self.object(4097, key: { "K\($0)" }))"#) == "env")
        for good in ["A", "_", "a_1", "PATH"] {
            #expect(try Self.refusal(#"\#(Self.run),"env":{\#(Self.json(good)):"v"}"#) == nil, "\(good)")
        }
        for bad in ["", "1A", "A-B", "A=B", "A B", "É"] {
            #expect(try Self.refusal(#"\#(Self.run),"env":{\#(Self.json(bad)):"v"}"#) == "env", "\(bad)")
        }
        let long = String(repeating: "v", count: 65536)
        #expect(try Self.refusal(#"\#(Self.run),"env":{"A":\#(Self.json(long))}"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"env":{"A":\#(Self.json(long + "v"))}"#) == "env.A")
        #expect(try Self.refusal(#"\#(Self.run),"env":{"A":"x\u0000y"}"#) == "env.A")
        #expect(try Self.resolve(#"\#(Self.run),"env":{}"#).env.isEmpty)
    }

    @Test func hostname() throws {
        let label = String(repeating: "a", count: 63)
        for good in ["a", "box", "a-b.c", "A1", label, "a." + String(repeating: "b", count: 62)] {
            #expect(try Self.refusal(#"\#(Self.run),"hostname":\#(Self.json(good))"#) == nil, "\(good)")
        }
        for bad in ["", label + "a", "a." + String(repeating: "b", count: 63), "-a", "a-", "a..b", ".a", "a.", "a_b", "a b"] {
            #expect(try Self.refusal(#"\#(Self.run),"hostname":\#(Self.json(bad))"#) == "hostname", "\(bad)")
        }
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["pid"],"hostname":"box""#) == "hostname")
    }

    @Test func domainname() throws {
        #expect(try Self.refusal(#"\#(Self.run),"domainname":\#(Self.json(String(repeating: "d", count: 64)))"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"domainname":\#(Self.json(String(repeating: "d", count: 65)))"#) == "domainname")
        #expect(try Self.refusal(#"\#(Self.run),"domainname":"a\u0000""#) == "domainname")
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["mnt"],"domainname":"d""#) == "domainname")
    }

    @Test func paths() throws {
        for good in ["/", "/a", "/a/b.c/..d/.e", "/" + String(repeating: "p", count: 4095)] {
            #expect(try Self.refusal(#"\#(Self.run),"cwd":\#(Self.json(good))"#) == nil, "\(good)")
        }
        for bad in [
            "", "a", "a/b", "/a/", "//", "/a//b", "/a/./b", "/a/../b", "/..", "/.", "/a\u{0}",
            "/" + String(repeating: "p", count: 4096),
        ] {
            #expect(try Self.refusal(#"\#(Self.run),"cwd":\#(Self.json(bad))"#) == "cwd", "\(bad)")
            #expect(try Self.refusal(#"\#(Self.run),"rootfs":\#(Self.json(bad))"#) == "rootfs", "\(bad)")
        }
        #expect(try Self.refusal(#"\#(Self.run),"rootfs":"/srv/root""#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"rootfs":"/""#) == "rootfs")
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["pid"],"rootfs":"/srv/root""#) == "rootfs")
        #expect(try Self.refusal(#"\#(Self.run),"readonlyRootfs":true"#) == "readonlyRootfs")
        #expect(try Self.refusal(#"\#(Self.run),"readonlyRootfs":false"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["mnt"],"mountProc":true"#) == "mountProc")
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["pid"],"mountProc":true"#) == "mountProc")
    }

    static func mappings(_ list: [(UInt64, UInt64, UInt64)]) -> String {
        "[" + list.map { #"{"insideId":\#($0.0),"outsideId":\#($0.1),"count":\#($0.2)}"# }.joined(separator: ",") + "]"
    }

    static func userSpec(uid: String, gid: String? = nil, extra: String = "") -> String {
        #"\#(run),"namespaces":["user"],"privileged":true,"uidMappings":\#(uid),"gidMappings":\#(gid ?? uid)\#(extra)"#
    }

    @Test func mappingCountsAndRanges() throws {
        let many = (0..<340).map { (UInt64($0) * 10, UInt64($0) * 10 + 100_000, UInt64(10)) }
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings(many))) == nil)
        let tooMany = many + [(3400, 200_000, 1)]
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings(tooMany))) == "uidMappings")
        #expect(try Self.refusal(Self.userSpec(uid: "[]")) == "uidMappings")
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 0, 0)]))) == "uidMappings[0].count")
        // id + count may reach 2^32 exactly, not beyond.
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 4_294_967_295, 1)]))) == nil)
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 4_294_967_295, 2)]))) == "uidMappings[0]")
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 0, 4_294_967_295)]))) == nil)
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(2, 0, 4_294_967_295)]))) == "uidMappings[0]")
        #expect(
            try Self.refusal(
                Self.userSpec(
                    uid: Self.mappings([(0, 0, 1)]),
                    gid: Self.mappings([(0, 2, 4_294_967_295)]))) == "gidMappings[0]")
        // Out of UInt32 is a decoding error that names the member.
        #expect(Self.decodingFails(Self.userSpec(uid: Self.mappings([(0, 4_294_967_296, 1)]))))
        #expect(Self.decodingFails(Self.userSpec(uid: #"[{"insideId":-1,"outsideId":0,"count":1}]"#)))
        #expect(Self.decodingFails(Self.userSpec(uid: #"[{"insideId":0,"outsideId":0,"count":1.5}]"#)))
        #expect(Self.decodingFails(Self.userSpec(uid: #"[{"insideId":0,"outsideId":0}]"#)))
        #expect(Self.decodingFails(Self.userSpec(uid: #"[{"insideId":0,"outsideId":0,"count":1,"x":1}]"#)))
    }

    @Test func mappingOverlap() throws {
        // Adjacent ranges touch without overlapping, inside and outside.
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 1000, 1), (1, 100_000, 65535)]))) == nil)
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 100, 10), (10, 110, 10)]))) == nil)
        // Overlap inside, in either order.
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 100, 10), (9, 500, 1)]))) == "uidMappings")
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(9, 500, 1), (0, 100, 10)]))) == "uidMappings")
        // Overlap outside only.
        #expect(try Self.refusal(Self.userSpec(uid: Self.mappings([(0, 100, 10), (10, 109, 5)]))) == "uidMappings")
        #expect(
            try Self.refusal(
                Self.userSpec(
                    uid: Self.mappings([(0, 0, 1)]),
                    gid: Self.mappings([(0, 5, 1), (1, 5, 1)]))) == "gidMappings")
        // Mappings need a user namespace.
        #expect(try Self.refusal(#"\#(Self.run),"uidMappings":\#(Self.mappings([(0, 1000, 1)]))"#) == "uidMappings")
        #expect(try Self.refusal(#"\#(Self.run),"gidMappings":\#(Self.mappings([(0, 1000, 1)]))"#) == "gidMappings")
    }

    @Test func userIdentity() throws {
        let one = Self.mappings([(0, 100_000, 1000)])
        #expect(try Self.refusal(Self.userSpec(uid: one, extra: #","user":{"uid":999,"gid":0}"#)) == nil)
        #expect(try Self.refusal(Self.userSpec(uid: one, extra: #","user":{"uid":1000,"gid":0}"#)) == "user.uid")
        #expect(try Self.refusal(Self.userSpec(uid: one, extra: #","user":{"uid":0,"gid":1000}"#)) == "user.gid")
        #expect(try Self.refusal(#"\#(Self.run),"user":{"uid":4294967295,"gid":0}"#) == "user.uid")
        #expect(try Self.refusal(#"\#(Self.run),"user":{"uid":0,"gid":4294967295}"#) == "user.gid")
        #expect(try Self.refusal(#"\#(Self.run),"user":{"uid":4294967294,"gid":4294967294}"#) == nil)
        #expect(Self.decodingFails(#"\#(Self.run),"user":{"uid":-1,"gid":0}"#))
        #expect(Self.decodingFails(#"\#(Self.run),"user":{"uid":4294967296,"gid":0}"#))
        #expect(Self.decodingFails(#"\#(Self.run),"user":{"uid":0}"#))
    }

    @Test func timeOffsets() throws {
        func offsets(_ monotonic: String, _ boottime: String = "0") -> String {
            #"\#(Self.run),"namespaces":["time"],"privileged":true,"timeOffsets":{"monotonic":\#(monotonic),"boottime":\#(boottime)}"#
        }
        #expect(try Self.refusal(offsets("2147483647", "-2147483648")) == nil)
        #expect(try Self.refusal(offsets("2147483648")) == "timeOffsets.monotonic")
        #expect(try Self.refusal(offsets("0", "-2147483649")) == "timeOffsets.boottime")
        #expect(Self.decodingFails(offsets("1.5")))
        #expect(Self.decodingFails(offsets("1e300")))
        #expect(Self.decodingFails(offsets("\"1\"")))
        let partial = try Self.resolve(#"\#(Self.run),"namespaces":["time"],"privileged":true,"timeOffsets":{"boottime":5}"#)
        #expect(partial.timeOffsets == SandboxSpec.TimeOffsets(monotonic: 0, boottime: 5))
        #expect(try Self.refusal(#"\#(Self.run),"timeOffsets":{"boottime":5}"#) == "timeOffsets")
    }

    @Test func labels() throws {
        #expect(try Self.refusal(#"\#(Self.run),"labels":\#(Self.object(64, key: { "k\($0)" }))"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"labels":\#(Self.object(65, key: { "k\($0)" }))"#) == "labels")
        let key63 = String(repeating: "k", count: 63)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{\#(Self.json(key63)):""}"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{\#(Self.json(key63 + "k")):""}"#) == "labels")
        for bad in ["", "a=b", "a\u{0}"] {
            #expect(try Self.refusal(#"\#(Self.run),"labels":{\#(Self.json(bad)):"v"}"#) == "labels", "\(bad)")
        }
        let value255 = String(repeating: "v", count: 255)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{"k":\#(Self.json(value255))}"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{"k":\#(Self.json(value255 + "v"))}"#) == "labels.k")
        #expect(try Self.refusal(#"\#(Self.run),"labels":{"k":"a\u0000"}"#) == "labels.k")
        // Characters, as JSON Schema's maxLength counts them: 63 four-byte characters are a key.
        let wide63 = String(repeating: "\u{1F600}", count: 63)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{\#(Self.json(wide63)):"v"}"#) == nil)
        #expect(try Self.refusal(#"\#(Self.run),"labels":{\#(Self.json(wide63 + "k")):"v"}"#) == "labels")
        #expect(Self.decodingFails(#"\#(Self.run),"labels":{"k":1}"#))
    }

    @Test func namespaces() throws {
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":[],"privileged":true"#) == nil)
        // Without "mnt" a sandbox would share the host's filesystem: only privileged.
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":[]"#) == "namespaces")
        #expect(try Self.refusal(#"\#(Self.run),"namespaces":["pid","pid"]"#) == "namespaces")
        #expect(Self.decodingFails(#"\#(Self.run),"namespaces":["PID"]"#))
        #expect(Self.decodingFails(#"\#(Self.run),"namespaces":["nope"]"#))
        #expect(try Self.resolve(#"\#(Self.run),"namespaces":["time","user"],"privileged":true"#).namespaces == [.time, .user])
    }

    @Test func unknownMembersAndWrongTypesAreDecodingErrors() {
        #expect(throws: UnknownMemberError.self) {
            try JSONDecoder().decode(SandboxSpecRequest.self, from: Data(#"{"command":["/bin/true"],"comand":1}"#.utf8))
        }
        #expect(throws: UnknownMemberError.self) {
            try JSONDecoder().decode(
                SandboxSpecRequest.self, from: Data(#"{"command":["/bin/true"],"user":{"uid":0,"gid":0,"x":0}}"#.utf8))
        }
        #expect(Self.decodingFails(#""command":["/bin/true"],"readonlyRootfs":"yes""#))
        #expect(Self.decodingFails(#""command":["/bin/true"],"name":5"#))
    }

    /// What the registry stores and a restart reads back is the spec the client was answered.
    @Test func aResolvedSpecReadsBackToItself() throws {
        let full = try String(contentsOfFile: Self.corpus("spec-request/every-member"), encoding: .utf8)
        for members in [Self.run, String(full.dropFirst().dropLast())] {
            let spec = try Self.resolve(members)
            let encoded = try JSONEncoder().encode(spec)
            #expect(try JSONDecoder().decode(SandboxSpecRequest.self, from: encoded).resolve() == spec)
            #expect(try JSONDecoder().decode(SandboxSpec.self, from: encoded) == spec)
        }
    }

    static func corpus(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fuzz/corpus/\(name)").path
    }
}
