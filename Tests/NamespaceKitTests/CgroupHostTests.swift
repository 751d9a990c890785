import Testing
@testable import NamespaceKit

/// Reading the mounted cgroup hierarchies and the server's place in them, for each host layout.
@Suite struct CgroupHostTests {
    static let hybridMounts = """
        30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
        31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        33 30 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        34 30 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
    static let hybridCgroups = "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/a\n1:cpu:/\n0::/\n"

    @Test func hybridHost() {
        let host = CgroupHost.read(mountinfo: Self.hybridMounts, cgroups: Self.hybridCgroups)
        #expect(host.unified?.mountPoint == "/sys/fs/cgroup/unified")
        #expect(host.unified?.own == "/")
        #expect(host.v1[.memory]?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(host.v1[.memory]?.own == "/jobs/a")
        #expect(host.v1[.memory]?.directory("/jobs/a/namespaced") == "/sys/fs/cgroup/memory/jobs/a/namespaced")
        #expect(host.v1[.pids]?.directory("/") == "/sys/fs/cgroup/pids")
        #expect(host.v1[.freezer] == nil)
    }

    @Test func unifiedHostWithACoMountedPair() {
        let mounts = """
            40 1 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
            41 1 0:41 / /old/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            """
        let host = CgroupHost.read(mountinfo: mounts, cgroups: "0::/system.slice/namespaced.service\n2:cpu,cpuacct:/x\n")
        #expect(host.unified?.own == "/system.slice/namespaced.service")
        #expect(
            host.unified?.directory("/system.slice/namespaced.service/namespaced")
                == "/sys/fs/cgroup/system.slice/namespaced.service/namespaced")
        #expect(host.v1[.cpu]?.mountPoint == "/old/cpu,cpuacct" && host.v1[.cpuacct]?.own == "/x")
    }

    /// A container that sees only its own subtree: paths outside it have no directory.
    @Test func mountOfASubtree() {
        let mounts = "50 1 0:50 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw"
        let host = CgroupHost.read(mountinfo: mounts, cgroups: "0::/kubepods/pod1/c\n")
        #expect(host.unified?.directory("/kubepods/pod1/c") == "/sys/fs/cgroup/c")
        #expect(host.unified?.directory("/namespaced") == nil)
    }

    @Test func escapedMountPoints() {
        #expect(CgroupHost.unescape("/a\\040b") == "/a b")
        #expect(CgroupHost.unescape("/plain") == "/plain")
        #expect(CgroupHost.unescape("/end\\04") == "/end\\04")
    }
}
