import Foundation
import Testing

/// The namespace demonstrations of docs/api.md's "Behaviour guarantees", one per type, each
/// checked from the host (procfs, host tools, the logs and exec routes), plus fds, rootfs and the
/// inventory's `sandbox` member.
struct SandboxBehaviourTests {
    static let defaultTypes = ["mnt", "uts", "ipc", "pid", "net", "cgroup"]

    @Test func utsHostnameIsTheSandboxsOwnAndTheHostsIsUnchanged() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let hostBefore = ProcessInfo.processInfo.hostName
        let hostUTS = Host.readlinkInode("/proc/self/ns/uts")
        try await server.withSandbox(["command": ["/bin/sh", "-c", "hostname; exec sleep 30"], "hostname": "nsd-uts-test"]) {
            sandbox in
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("\n") }
            #expect(logs == "nsd-uts-test\n")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Host.readlinkInode("/proc/\(command)/ns/uts") == sandbox.namespace("uts"))
            #expect(Host.readlinkInode("/proc/\(command)/ns/uts") != hostUTS)
            let seen = try Host.run(["nsenter", "--uts=/proc/\(command)/ns/uts", "hostname"])
            #expect(seen.output == "nsd-uts-test\n")
            #expect(Proc.read("/proc/sys/kernel/hostname") != "nsd-uts-test\n")
            #expect(ProcessInfo.processInfo.hostName == hostBefore)
        }
    }

    @Test func ipcHostMessageQueueIsNotVisibleInside() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let made = try Host.run(["ipcmk", "-Q"])
        let queue = try #require(
            made.output.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        try #require(Int(queue) != nil, "ipcmk printed \(made.output)")
        defer { _ = try? Host.run(["ipcrm", "-q", queue]) }
        #expect(
            Proc.read("/proc/sysvipc/msg").split(separator: "\n").contains {
                $0.split(separator: " ").dropFirst().first == Substring(queue)
            })
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "echo queues: $(ipcs -q | grep -c '^0x'); cat /proc/sysvipc/msg; exec sleep 30"]
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("perms") }
            #expect(logs.hasPrefix("queues: 0\n"))
            #expect(logs.split(separator: "\n").count == 2, "only the header of /proc/sysvipc/msg: \(logs)")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Host.readlinkInode("/proc/\(command)/ns/ipc") != Host.readlinkInode("/proc/self/ns/ipc"))
            // /proc/sysvipc/msg shows the reader's ipc namespace: only the header line there.
            let inside = try Host.run(["nsenter", "--ipc=/proc/\(command)/ns/ipc", "cat", "/proc/sysvipc/msg"])
            #expect(inside.output.split(separator: "\n").count == 1, "\(inside.output)")
        }
    }

    @Test func pidCommandIsPid2ChildOfInitAndSeesOnlyTheSandbox() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let script = "echo $$ $PPID; cd /proc && echo [0-9]*; exec sleep 30"
        try await server.withSandbox(["command": ["/bin/sh", "-c", script]]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.split(separator: "\n").count == 2 }
            #expect(logs == "2 1\n1 2\n", "the command is pid 2, child of init 1; /proc holds only 1 and 2")
            let initStatus = Proc.status(sandbox.pid)
            #expect(initStatus["NSpid"] == "\(sandbox.pid) 1")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Proc.status(command)["NSpid"] == "\(command) 2")
            #expect(Proc.read("/proc/\(sandbox.pid)/comm") == "nsd-init\n")
            #expect(Host.readlinkInode("/proc/\(command)/ns/pid") == sandbox.namespace("pid"))
            // The sandbox's /proc (read through its root) lists only the sandbox's processes.
            let inside = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(command)/root/proc").compactMap { Int($0) }
            #expect(Set(inside) == [1, 2])
        }
    }

    @Test func mntMountInsideStaysOutOfTheHostsMountTableAndProcIsPrivate() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let source = "nsdtest-\(UUID().uuidString.prefix(8))"
        // Mounting from inside needs SYS_ADMIN: a privileged sandbox, as the walkthroughs run it.
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "mount -t tmpfs \(source) /mnt && echo mounted && exec sleep 30"],
            "privileged": true,
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("mounted") }
            #expect(logs == "mounted\n")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Proc.read("/proc/\(command)/mountinfo").contains(" \(source) "))
            #expect(!Proc.read("/proc/self/mountinfo").contains(source))
            #expect(!Proc.read("/proc/1/mountinfo").contains(source))
            // Its /proc is its own: pid 1 there is the sandbox's init.
            #expect(Proc.read("/proc/\(command)/root/proc/1/comm") == "nsd-init\n")
            #expect(Host.readlinkInode("/proc/\(command)/ns/mnt") == sandbox.namespace("mnt"))
            #expect(Host.readlinkInode("/proc/\(command)/ns/mnt") != Host.readlinkInode("/proc/self/ns/mnt"))
        }
    }

    @Test func userIsRootInsideAndTheMappedUidOutside() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "id -u; exec sleep 30"],
            "namespaces": Self.defaultTypes + ["user"],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("\n") }
            #expect(logs == "0\n")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Proc.status(command)["Uid"] == "100000 100000 100000 100000")
            #expect(Proc.status(command)["Gid"] == "100000 100000 100000 100000")
            let map = Proc.read("/proc/\(command)/uid_map").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(map == "0 100000 65536")
            #expect(Host.readlinkInode("/proc/\(command)/ns/user") == sandbox.namespace("user"))
        }
    }

    @Test func netHasOnlyLoopbackAndItIsUp() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["/bin/sh", "-c", "ip -o link; echo done; exec sleep 30"]]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("done") }
            let links = logs.split(separator: "\n").dropLast()
            #expect(links.count == 1, "only lo: \(logs)")
            #expect(links.first?.contains(": lo: <LOOPBACK,UP") == true, "lo is up: \(logs)")
            // From the host: the command's /proc/PID/net/dev lists lo only, and lo has IFF_UP.
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            let devices = Proc.read("/proc/\(command)/net/dev").split(separator: "\n").dropFirst(2)
                .map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) }
            #expect(devices == ["lo"])
            // /sys/class/net shows the namespace of whoever mounted sysfs, so ask netlink instead.
            let flags = try Host.run(["nsenter", "--net=/proc/\(command)/ns/net", "ip", "-o", "link", "show", "lo"])
            #expect(flags.output.contains("<LOOPBACK,UP"))
        }
    }

    @Test func cgroupPathsInsideAreSlash() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["/bin/sh", "-c", "cat /proc/self/cgroup; echo done; exec sleep 30"]]) {
            sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("done") }
            let lines = logs.split(separator: "\n").dropLast()
            #expect(!lines.isEmpty)
            for line in lines { #expect(line.hasSuffix(":/"), "\(line)") }
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(Host.readlinkInode("/proc/\(command)/ns/cgroup") == sandbox.namespace("cgroup"))
            #expect(Host.readlinkInode("/proc/\(command)/ns/cgroup") != Host.readlinkInode("/proc/self/ns/cgroup"))
        }
    }

    @Test func timeUptimeInsideReflectsTheBoottimeOffset() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        let hostBefore = Proc.uptime()
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "cat /proc/uptime; exec sleep 30"],
            "namespaces": Self.defaultTypes + ["time"],
            "timeOffsets": ["boottime": 86400],
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("\n") }
            let hostAfter = Proc.uptime()
            let inside = try #require(Double(logs.split(separator: " ").first ?? ""), "uptime inside: \(logs)")
            // Read between the host's two readings, shifted by the offset (/proc/uptime has 0.01 s steps).
            #expect(inside - 86400 >= hostBefore - 0.02, "inside \(inside), host before \(hostBefore)")
            #expect(inside - 86400 <= hostAfter + 0.02, "inside \(inside), host after \(hostAfter)")
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            let offsets = Proc.read("/proc/\(command)/timens_offsets").split(separator: "\n")
                .map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            #expect(offsets.contains("boottime 86400 0"))
            #expect(Host.readlinkInode("/proc/\(command)/ns/time") == sandbox.namespace("time"))
            #expect(Host.readlinkInode("/proc/\(command)/ns/time") != Host.readlinkInode("/proc/self/ns/time"))
        }
    }

    @Test func commandHasExactlyStdio() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["/bin/busybox", "sh", "-c", "/bin/busybox ls /proc/$$/fd; exec sleep 30"]]) {
            sandbox in
            // ls is a child listing the shell's fds (a glob in the shell would count its own dir fd).
            let logs = try await server.logs(sandbox.id) { $0.hasSuffix("2\n") }
            #expect(logs == "0\n1\n2\n")
            // After the exec to sleep, from the host.
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            _ = await eventuallyAsync { Proc.read("/proc/\(command)/comm") == "sleep\n" }
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(command)/fd").sorted()
            #expect(fds == ["0", "1", "2"])
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(command)/fd/0")) == "/dev/null")
        }
    }

    @Test func rootfsShowsOnlyItsOwnEntriesAndCanBeReadOnly() async throws {
        try #require(Host.isRoot, "needs root to create namespaces and mknod")
        let server = try TestServer()
        let rootfs = try BusyboxRootfs()
        try await server.withSandbox([
            "command": ["/bin/sh", "-c", "ls /; touch /x && echo wrote; exec sleep 30"],
            "rootfs": rootfs.path,
        ]) { sandbox in
            let logs = try await server.logs(sandbox.id) { $0.contains("wrote") }
            #expect(logs.split(separator: "\n").map(String.init) == rootfs.topLevel + ["wrote"])
            let command = try #require(await Proc.commandPid(ofInit: sandbox.pid))
            #expect(
                Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(command)/root/")) == Set(rootfs.topLevel + ["x"])
            )
            #expect(Proc.read("/proc/\(command)/root/proc/1/comm") == "nsd-init\n")
        }
        let readonly = try await server.createSandbox([
            "command": ["/bin/sh", "-c", "touch /y"], "rootfs": rootfs.path,
            "readonlyRootfs": true,
        ])
        let exited = try await server.waitSandbox(readonly.id)
        #expect(exited.state == "exited")
        #expect((exited["exitCode"] as? Int).map { $0 != 0 } == true, "touch on a read-only root fails: \(exited)")
        #expect(try await server.logs(readonly.id, stream: "stderr").contains("Read-only file system"))
        #expect(!FileManager.default.fileExists(atPath: rootfs.path + "/y"))
        #expect(try await server.deleteSandbox(readonly.id) == 204)
    }

    @Test func inventoryNamesTheSandboxThatCreatedANamespace() async throws {
        try #require(Host.isRoot, "needs root to create namespaces")
        let server = try TestServer()
        try await server.withSandbox(["command": ["sleep", "30"]]) { sandbox in
            let uts = try #require(sandbox.namespace("uts"))
            let items = try await server.get("/namespaces?type=uts").items
            let mine = items.first { ($0["inode"] as? NSNumber)?.uint64Value == uts }
            #expect(mine?["sandbox"] as? String == sandbox.id)
            let host = items.first { ($0["inode"] as? NSNumber)?.uint64Value == Host.readlinkInode("/proc/self/ns/uts") }
            #expect(host?["sandbox"] is NSNull)
            let one = try await server.get("/namespaces/uts/\(uts)")
            #expect(one.json["sandbox"] as? String == sandbox.id)
        }
    }
}
