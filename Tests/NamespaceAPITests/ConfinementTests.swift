import Foundation
import Testing

/// A default sandbox cannot touch the host: each escape a new user would try is tried here, from
/// inside, and checked from the host with the host's own view (procfs, the files, the mount
/// table). Every probe is harmless even if it succeeds (as it would on a regression, as host
/// root): writability is asked with access(2) or by opening for appending without writing, the
/// clock is set to the time it already has, nothing is written under /proc/sys, /sys or
/// sysrq-trigger, mounts and device nodes stay in the sandbox's own mount namespace.
struct ConfinementTests {
    /// Docker's default capability set, as /proc/PID/status prints it.
    static let dockerCapabilities = "00000000a80425fb"

    /// A directory of the test's own outside /tmp (a confined sandbox's /tmp is a private tmpfs),
    /// so that the sandbox sees it, read-only, at the same path. /var/tmp, not the package's
    /// directory: a checkout may itself live under /tmp.
    final class Scratch: Sendable {
        let path: String
        init() throws {
            path = "/var/tmp/nsd-confinement-\(getpid())-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            chmod(path, 0o755)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func status(ofCommandOf sandbox: [String: Any]) async throws -> [String: String] {
        let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
        return Proc.status(command)
    }

    // MARK: - the default set

    @Test func defaultSandboxHasDockersCapabilitiesSeccompAndNoNewPrivs() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let devices =
            "for n in null zero full random urandom tty; do test -c /dev/$n || echo not-a-device:$n; done; head -c 3 /dev/zero | od -An -tx1; exec sleep 30"
        try await server.withSandbox(["command": ["/bin/sh", "-c", devices]]) { sandbox in
            // /dev holds the host's device nodes (and reads like them), nothing else.
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("\n") }
            #expect(logs == " 00 00 00\n", "\(logs)")
            let status = try await Self.status(ofCommandOf: sandbox)
            #expect(status["CapEff"] == Self.dockerCapabilities)
            #expect(status["CapPrm"] == Self.dockerCapabilities)
            #expect(status["CapBnd"] == Self.dockerCapabilities)
            #expect(status["CapInh"] == "0000000000000000")
            #expect(status["CapAmb"] == "0000000000000000")
            #expect(status["Seccomp"] == "2")
            #expect(status["NoNewPrivs"] == "1")
            // Every default is echoed in the spec.
            let spec = sandbox["spec"] as? [String: Any] ?? [:]
            #expect(spec["privileged"] as? Bool == false)
            #expect(spec["seccomp"] as? String == "default")
            let capabilities = spec["capabilities"] as? [String: [String]]
            #expect(capabilities?["add"] == [] && capabilities?["drop"] == [])
            #expect((spec["mounts"] as? [Any])?.isEmpty == true)
            #expect((spec["rlimits"] as? [String: Int]) == ["nofile": 1024])
        }
    }

    @Test func escapeAttemptsFromADefaultSandboxFailAndLeaveNoTrace() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let scratch = try Scratch()
        let token = scratch.path + "/token"
        try "nsd-test-secret-\(UUID().uuidString)\n".write(toFile: token, atomically: true, encoding: .utf8)
        let state = scratch.path + "/state"
        let server = try TestServer(stateDirectory: state, hiddenPaths: [token])
        // Another sandbox's log, in the state directory, to look for.
        let other = try await server.createSandbox(["command": ["/bin/sh", "-c", "echo other-secret-log"]])
        _ = try await server.waitSandbox(other.id)
        let marker = "nsd-escape-\(UUID().uuidString.prefix(8))"
        let device = try #require(Self.rootDevice(), "the host's root device numbers")
        let hostname = Proc.read("/proc/sys/kernel/hostname")
        let script = """
            try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name:ok"; else echo "$name:denied"; fi; }
            try write-etc test -w /etc
            try write-var test -w /var
            try write-usr test -w /usr
            try open-etc-passwd sh -c 'exec 3>>/etc/passwd'
            try mount mount -t tmpfs \(marker) /mnt
            try unshare-user unshare -U true
            try unshare-mount unshare -m true
            try hostname hostname \(marker)
            try open-proc-sys sh -c 'exec 3>>"/proc/sys/kernel/hostname"'
            try open-sysrq sh -c 'exec 3>>"/proc/sysrq-trigger"'
            try open-sys sh -c 'exec 3>>"/sys/kernel/mm/transparent_hugepage/enabled"'
            try read-kcore sh -c 'test -n "$(head -c 1 /proc/kcore)"'
            try umount-proc umount -l /proc
            try device-node sh -c 'mknod /tmp/probe/null c 1 3 && exec 3</tmp/probe/null'
            try raw-device-node sh -c 'mknod /tmp/probe/disk b \(device.major) \(device.minor) && head -c 1 /tmp/probe/disk >/dev/null'
            try raw-device head -c 1 /dev/\(device.name)
            try read-state sh -c 'test -n "$(ls \(state))"'
            try read-journal sh -c 'cat \(state)/journal.* | grep -q .'
            try read-other-log sh -c 'grep -rqs other-secret-log \(state)'
            try read-token sh -c 'grep -q secret \(token)'
            echo done
            """
        // The device node is made in a tmpfs of the sandbox's own mount namespace: harmless even
        // if confinement regressed, like every probe here.
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", script],
            "mounts": [["type": "tmpfs", "target": "/tmp/probe"]],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id, within: 20) { $0.contains("done") }
            let results = Dictionary(
                logs.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: ":")
                    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
                }, uniquingKeysWith: { $1 })
            #expect(results.count == 20, "every probe ran: \(logs)")
            for (probe, outcome) in results.sorted(by: { $0.key < $1.key }) {
                #expect(outcome == "denied", "\(probe) succeeded from a default sandbox")
            }
        }
        #expect(!Proc.read("/proc/self/mountinfo").contains(marker))
        #expect(Proc.read("/proc/sys/kernel/hostname") == hostname)
    }

    /// Calls a shell cannot make, through a small C program: each must fail with the errno of the
    /// seccomp profile (EPERM; ENOSYS for clone3), whatever the sandbox's capabilities.
    @Test func seccompRefusesKernelInterfacesEvenWithCapabilities() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let scratch = try Scratch()
        let probe = try Self.buildProbe(in: scratch.path)
        let server = try TestServer()
        let expected = [
            "keyctl": EPERM, "bpf": EPERM, "perf_event_open": EPERM, "clock_settime": EPERM,
            "unshare": EPERM, "setns": EPERM, "mount": EPERM, "personality": EPERM, "vsock": EPERM,
            "clone_newuser": EPERM, "clone3": ENOSYS, "userfaultfd": EPERM, "open_by_handle_at": EPERM,
        ]
        for spec: [String: Any] in [
            ["command": [probe]],
            ["command": [probe], "capabilities": ["add": ["SYS_TIME", "SYS_ADMIN", "BPF", "PERFMON"]]],
        ] {
            try await server.withSandbox(spec) { sandbox in
                let exited = try await server.waitSandbox(sandbox.id)
                #expect(exited["exitCode"] as? Int == 0)
                let lines = try await server.logs(sandbox.id).split(separator: "\n")
                let errnos = Dictionary(
                    lines.compactMap { line -> (String, Int32)? in
                        let parts = line.split(separator: " ")
                        return parts.count == 2 ? (String(parts[0]), Int32(parts[1]) ?? -1) : nil
                    }, uniquingKeysWith: { $1 })
                let sysAdmin = (spec["capabilities"] as? [String: [String]])?["add"]?.contains("SYS_ADMIN") == true
                for (call, errno) in expected.sorted(by: { $0.key < $1.key }) {
                    // With SYS_ADMIN added, namespaces and mounts are the capability's to grant.
                    if sysAdmin, ["unshare", "setns", "mount", "clone_newuser"].contains(call) { continue }
                    #expect(
                        errnos[call] == errno, "\(call): errno \(errnos[call].map(String.init) ?? "missing"), expected \(errno)")
                }
            }
        }
    }

    // MARK: - the ways back

    @Test func privilegedKeepsEveryCapabilityNoFilterAndAWritableHost() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let scratch = try Scratch()
        let server = try TestServer()
        let file = scratch.path + "/written-by-privileged"
        try await server.withSandbox(["command": ["/bin/sh", "-c", "echo yes > \(file); exec sleep 30"], "privileged": true]) {
            sandbox in
            let status = try await Self.status(ofCommandOf: sandbox)
            #expect(status["CapEff"] == Proc.status(getpid())["CapBnd"], "every capability the host has")
            #expect(status["Seccomp"] == "0")
            #expect(eventually { (try? String(contentsOfFile: file, encoding: .utf8)) == "yes\n" })
            let spec = sandbox["spec"] as? [String: Any] ?? [:]
            #expect(spec["privileged"] as? Bool == true)
            #expect(spec["capabilities"] == nil && spec["seccomp"] == nil, "nothing that contradicts privileged is echoed")
        }
    }

    @Test func capabilitiesAddAndDropChangeWhatTheCommandMayDo() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let add = "ip addr add 10.200.7.1/24 dev lo && echo added; exec sleep 30"
        // NET_ADMIN (any spelling) lets the command configure its own network namespace.
        try await server.withSandbox(["command": ["/bin/sh", "-c", add], "capabilities": ["add": ["cap_net_admin"]]]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("added") }
            #expect(logs == "added\n")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            let seen = try Host.run(["nsenter", "--net=/proc/\(command)/ns/net", "ip", "-o", "addr", "show", "lo"])
            #expect(seen.output.contains("10.200.7.1/24"))
            #expect(Proc.status(command)["CapEff"] == "00000000a80435fb", "Docker's set plus NET_ADMIN (bit 12)")
            #expect(
                (sandbox["spec"] as? [String: Any]).flatMap { $0["capabilities"] as? [String: [String]] }?["add"] == ["NET_ADMIN"]
            )
        }
        // Without it, the same command is refused.
        try await server.withSandbox(["command": ["/bin/sh", "-c", add]]) { sandbox in
            let stderr = try await server.logs(sandbox.id, stream: "stderr") { !$0.isEmpty }
            #expect(stderr.contains("Operation not permitted"), "\(stderr)")
        }
        // drop ALL: nothing effective, even as uid 0; chown (of a file of its own tmpfs) is refused.
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "touch /tmp/probe/f; chown 1 /tmp/probe/f || echo refused; exec sleep 30"],
            "capabilities": ["drop": ["ALL"]], "mounts": [["type": "tmpfs", "target": "/tmp/probe"]],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("refused") }
            #expect(logs == "refused\n")
            let status = try await Self.status(ofCommandOf: sandbox)
            #expect(status["CapEff"] == "0000000000000000" && status["CapBnd"] == "0000000000000000")
        }
    }

    // MARK: - mounts and limits

    @Test func mountsBindReadWriteReadOnlyAndSizedTmpfs() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let scratch = try Scratch()
        let rw = scratch.path + "/rw"
        let ro = scratch.path + "/ro"
        for directory in [rw, ro] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "host\n".write(toFile: ro + "/file", atomically: true, encoding: .utf8)
        let script = """
            echo hello > /tmp/rw/hello && echo rw:ok
            cat /tmp/ro/file; echo x > /tmp/ro/new 2>/dev/null || echo ro:refused
            grep ' /tmp/scratch ' /proc/self/mounts
            echo done; exec sleep 30
            """
        let mounts: [[String: Any]] = [
            ["type": "bind", "source": rw, "target": "/tmp/rw"],
            ["type": "bind", "source": ro, "target": "/tmp/ro", "readOnly": true],
            ["type": "tmpfs", "target": "/tmp/scratch", "sizeBytes": 1 << 20],
        ]
        let server = try TestServer()
        try await server.withSandbox(["command": ["/bin/sh", "-c", script], "mounts": mounts]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("done") }
            #expect(logs.contains("rw:ok\nhost\nro:refused\n"), "\(logs)")
            #expect(logs.contains("tmpfs /tmp/scratch tmpfs rw,nosuid,nodev") && logs.contains("size=1024k"), "\(logs)")
            #expect((try? String(contentsOfFile: rw + "/hello", encoding: .utf8)) == "hello\n", "the rw bind reached the host")
            #expect(!FileManager.default.fileExists(atPath: ro + "/new"))
            let echoed = (sandbox["spec"] as? [String: Any])?["mounts"] as? [[String: Any]]
            #expect(echoed?[2]["sizeBytes"] as? Int == 1 << 20 && echoed?[0]["readOnly"] as? Bool == false)
        }
    }

    @Test func aMountTargetOnTheReadOnlyHostIs422NamingTheMount() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let scratch = try Scratch()
        let server = try TestServer()
        // Inside the test's own directory, which the sandbox sees read-only: were the host's root
        // writable by mistake, the directory would appear there and nowhere else.
        let missing = scratch.path + "/no-such-dir"
        let refused = try await server.postJSON(
            "/sandboxes", ["command": ["true"], "mounts": [["type": "tmpfs", "target": missing]]])
        #expect(refused.status == 422)
        #expect((refused.json["detail"] as? String ?? "").contains("mounts[0] \(missing)"), "\(refused.text)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        let gone = try await server.postJSON(
            "/sandboxes", ["command": ["true"], "mounts": [["type": "bind", "source": missing, "target": "/mnt"]]])
        #expect(gone.status == 422 && (gone.json["detail"] as? String ?? "").contains(missing), "\(gone.text)")
        #expect(try await server.sandboxList().count == 0)
    }

    @Test func rlimitsStartFromTheDefaultsNotTheServersRaisedOnes() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["/bin/sh", "-c", "ulimit -n; exec sleep 30"]]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("\n") }
            #expect(logs == "1024\n")
        }
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "ulimit -n; ulimit -c; exec sleep 30"],
            "rlimits": ["nofile": 77, "core": 0],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.split(separator: "\n").count == 2 }
            #expect(logs == "77\n0\n")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            let limits = Proc.read("/proc/\(command)/limits").split(separator: "\n").first { $0.hasPrefix("Max open files") }
            #expect(limits?.split(separator: " ", omittingEmptySubsequences: true).suffix(3).prefix(2) == ["77", "77"])
        }
    }

    // MARK: - exec and user namespaces

    @Test func execRunsUnderExactlyTheSandboxsConfinement() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox([
            "command": ["sleep", "30"], "capabilities": ["drop": ["CHOWN"]], "rlimits": ["nofile": 99],
        ]) { sandbox in
            let result = try await server.exec(
                sandbox.id,
                [
                    "/bin/sh", "-c",
                    "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; ulimit -n; (exec 3>>/etc/passwd) 2>/dev/null || echo refused",
                ])
            #expect(result.status == 200)
            let out = result.json["stdout"] as? String ?? ""
            #expect(
                out == "CapEff:\t00000000a80425fa\nCapBnd:\t00000000a80425fa\nNoNewPrivs:\t1\nSeccomp:\t2\n99\nrefused\n",
                "\(out)")
        }
    }

    @Test func userNamespaceWithDefaultConfinement() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "id -u; (exec 3>>/etc/passwd) 2>/dev/null || echo refused; exec sleep 30"],
            "namespaces": SandboxBehaviourTests.defaultTypes + ["user"],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("refused") }
            #expect(logs == "0\nrefused\n")
            let status = try await Self.status(ofCommandOf: sandbox)
            #expect(status["Uid"] == "100000 100000 100000 100000")
            #expect(status["CapEff"] == Self.dockerCapabilities && status["Seccomp"] == "2")
        }
    }

    /// A server inside a user namespace whose setgroups is "deny" (rootless, as under
    /// `unshare --user --map-root-user`) starts default sandboxes: with no supplementary group
    /// (nothing to drop) and with one it cannot drop (65534, unmapped there).
    @Test(arguments: [[], ["setpriv", "--groups", "65534"]])
    func aRootlessServerStartsConfinedSandboxes(groups: [String]) throws {
        try #require(Host.isRoot, "needs root for unshare --user --map-root-user to map uid 0")
        let server = try SandboxServerProcess(prefix: groups + ["unshare", "--user", "--map-root-user"])
        let created = try server.request("POST", "/sandboxes", json: #"{"command": ["/bin/sh", "-c", "id -u"]}"#)
        #expect(created.status == 201, "\(created.body)")
        let id = created.body["id"] as? String ?? ""
        let waited = try server.request("POST", "/sandboxes/\(id)/wait?timeout=10")
        #expect(waited.body["exitCode"] as? Int == 0, "\(waited.body)")
    }

    // MARK: - bad input

    @Test(arguments: [
        (#""privileged": "yes""#, "privileged"),
        (#""capabilities": {"add": ["NOPE"]}"#, "capabilities.add[0]"),
        (#""capabilities": {"add": "NET_ADMIN"}"#, "add"),
        (#""capabilities": {"keep": []}"#, "keep"),
        (#""seccomp": "strict""#, "seccomp"),
        (#""privileged": true, "capabilities": {"add": ["NET_ADMIN"]}"#, "capabilities"),
        (#""privileged": true, "seccomp": "default""#, "seccomp"),
        (#""namespaces": ["pid"]"#, "namespaces"),
        (#""mounts": [{"type": "overlay", "target": "/x"}]"#, "mounts[0].type"),
        (#""mounts": [{"type": "tmpfs"}]"#, "mounts[0].target"),
        (#""mounts": [{"type": "tmpfs", "target": "x"}]"#, "mounts[0].target"),
        (#""mounts": [{"type": "tmpfs", "target": "/"}]"#, "mounts[0].target"),
        (#""mounts": [{"type": "tmpfs", "target": "/a/../b"}]"#, "mounts[0].target"),
        (#""mounts": [{"type": "bind", "target": "/x"}]"#, "mounts[0].source"),
        (#""mounts": [{"type": "tmpfs", "source": "/srv", "target": "/x"}]"#, "mounts[0].source"),
        (#""mounts": [{"type": "tmpfs", "target": "/x", "sizeBytes": 1}]"#, "mounts[0].sizeBytes"),
        (#""mounts": [{"type": "tmpfs", "target": "/x", "sizeBytes": 1099511627776}]"#, "mounts[0].sizeBytes"),
        (#""mounts": [{"type": "bind", "source": "/srv", "target": "/x", "sizeBytes": 4096}]"#, "mounts[0].sizeBytes"),
        (#""mounts": [{"type": "tmpfs", "target": "/x", "propagation": "shared"}]"#, "propagation"),
        (#""mounts": [{"type": "bind", "source": "/", "target": "/host"}]"#, "mounts[0].source"),
        (#""rlimits": {"files": 1}"#, "rlimits.files"),
        (#""rlimits": {"nofile": -1}"#, "rlimits.nofile"),
        (#""rlimits": {"nofile": 1099511627776}"#, "rlimits.nofile"),
        (#""rlimits": {"nofile": "many"}"#, "nofile"),
    ])
    func badConfinementMembersAre400AndCreateNothing(member: String, named: String) async throws {
        let server = try TestServer()
        let answer = try await server.postRaw("/sandboxes", Data(#"{"command": ["true"], \#(member)}"#.utf8))
        #expect(answer.status == 400, "\(member) → \(answer.status) \(answer.text)")
        #expect(answer.json["type"] as? String == "urn:namespaced:problem:invalid-request")
        #expect((answer.json["detail"] as? String ?? "").contains(named), "\(answer.text)")
        #expect(try await server.sandboxList().count == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: server.stateDirectory + "/sandboxes")) ?? []).isEmpty)
    }

    @Test func aBindSourceInTheStateDirectoryIs400() async throws {
        let server = try TestServer()
        for source in [server.stateDirectory, server.stateDirectory + "/sandboxes"] {
            let answer = try await server.postJSON(
                "/sandboxes", ["command": ["true"], "mounts": [["type": "bind", "source": source, "target": "/mnt"]]])
            #expect(answer.status == 400, "\(answer.text)")
            #expect((answer.json["detail"] as? String ?? "").contains("mounts[0].source"))
        }
        #expect(try await server.sandboxList().count == 0)
    }

    @Test func aRootfsInsideTheStateDirectoryIs400AndAMissingOneIs422NamingIt() async throws {
        let server = try TestServer()
        let inside = try await server.postJSON(
            "/sandboxes", ["command": ["/bin/true"], "rootfs": server.stateDirectory + "/sandboxes"])
        #expect(inside.status == 400 && (inside.json["detail"] as? String ?? "").contains("rootfs"), "\(inside.text)")
        let missing = try await server.postJSON("/sandboxes", ["command": ["/bin/true"], "rootfs": "/nsd-no-such-rootfs"])
        #expect(
            missing.status == 422 && (missing.json["detail"] as? String ?? "").contains("rootfs /nsd-no-such-rootfs"),
            "\(missing.text)")
        #expect(try await server.sandboxList().count == 0)
    }

    // MARK: - helpers

    /// The block device holding the host's root filesystem: numbers, and its name in /dev.
    static func rootDevice() -> (major: Int, minor: Int, name: String)? {
        for line in Proc.read("/proc/self/mountinfo").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == "/" else { continue }
            let numbers = fields[2].split(separator: ":").compactMap { Int($0) }
            guard numbers.count == 2 else { return nil }
            let name = URL(fileURLWithPath: "/sys/dev/block/\(fields[2])").resolvingSymlinksInPath().lastPathComponent
            return (numbers[0], numbers[1], name)
        }
        return nil
    }

    /// A static C program that makes each call once and prints "<name> <errno>" (0: it worked).
    /// Harmless when a call works: the clock is set to the time it has, the keyring is only
    /// looked up, bpf and perf get invalid arguments, namespaces and mounts stay the probe's own.
    static func buildProbe(in directory: String) throws -> String {
        let source = directory + "/probe.c"
        let binary = directory + "/probe"
        try Self.probeSource.write(toFile: source, atomically: true, encoding: .utf8)
        let built = try Host.run(["gcc", "-O1", "-static", "-o", binary, source])
        try #require(built.status == 0, "gcc: \(built.output)")
        return binary
    }

    static let probeSource = #"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <sched.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/mount.h>
        #include <sys/personality.h>
        #include <sys/socket.h>
        #include <signal.h>
        #include <sys/syscall.h>
        #include <time.h>
        #include <unistd.h>

        static void report(const char *name, long rc) { printf("%s %d\n", name, rc < 0 ? errno : 0); }

        int main(void) {
            struct timespec now;
            char attr[128];
            memset(attr, 0, sizeof attr);
            report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
            report("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, 0));
            report("perf_event_open", syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
            clock_gettime(CLOCK_REALTIME, &now);
            report("clock_settime", clock_settime(CLOCK_REALTIME, &now));
            report("unshare", unshare(CLONE_NEWUSER));
            report("setns", setns(open("/proc/self/ns/uts", O_RDONLY), 0));
            report("mount", mount("none", "/mnt", "tmpfs", 0, 0));
            report("personality", personality(ADDR_NO_RANDOMIZE));
            report("vsock", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
            long child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
            if (child == 0)
                _exit(0);
            report("clone_newuser", child);
            child = syscall(SYS_clone3, attr, 88);
            if (child == 0)
                _exit(0);
            report("clone3", child);
            report("userfaultfd", syscall(SYS_userfaultfd, 0));
            report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, attr, O_RDONLY));
            return 0;
        }
        """#
}
