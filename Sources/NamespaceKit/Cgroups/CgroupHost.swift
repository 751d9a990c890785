/// The controllers a sandbox's cgroup can use.
public enum CgroupController: String, Sendable, CaseIterable, Codable, Comparable {
    case memory, pids, cpu, cpuacct, freezer

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Which cgroup hierarchies to use (`--cgroup-driver`).
public enum CgroupDriver: String, Sendable, CaseIterable {
    /// cgroup2 for placement and kill, each controller from cgroup2 where it is enabled there,
    /// else from its cgroup v1 hierarchy.
    case auto
    case v2
    case v1
    /// No cgroups: sandboxes run in the server's.
    case none
}

/// The mounted cgroup hierarchies and this process's cgroup in each, from /proc/self/mountinfo
/// and /proc/self/cgroup.
struct CgroupHost {
    struct Hierarchy {
        var mountPoint: String
        /// The mount's root inside the hierarchy ("/" unless a subtree is mounted).
        var root: String
        /// This process's cgroup, as /proc/self/cgroup names it.
        var own: String?

        /// The directory of a cgroup path of this hierarchy, if the mount shows it.
        func directory(_ path: String) -> String? {
            if root == "/" { return path == "/" ? mountPoint : mountPoint + path }
            if path == root { return mountPoint }
            guard path.hasPrefix(root + "/") else { return nil }
            return mountPoint + path.dropFirst(root.count)
        }
    }

    var unified: Hierarchy?
    var v1: [CgroupController: Hierarchy] = [:]

    static func read(
        mountinfo: String? = CgroupFiles.read("/proc/self/mountinfo"),
        cgroups: String? = CgroupFiles.read("/proc/self/cgroup")
    ) -> CgroupHost {
        var host = CgroupHost()
        for line in (mountinfo ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count >= dash + 4 else { continue }
            let hierarchy = Hierarchy(mountPoint: unescape(fields[4]), root: unescape(fields[3]))
            switch fields[dash + 1] {
            case "cgroup2" where host.unified == nil:
                host.unified = hierarchy
            case "cgroup":
                for option in fields[dash + 3].split(separator: ",") {
                    if let controller = CgroupController(rawValue: String(option)), host.v1[controller] == nil {
                        host.v1[controller] = hierarchy
                    }
                }
            default:
                continue
            }
        }
        for line in (cgroups ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            if parts[0] == "0", parts[1].isEmpty {
                host.unified?.own = parts[2]
                continue
            }
            for name in parts[1].split(separator: ",") {
                if let controller = CgroupController(rawValue: String(name)) { host.v1[controller]?.own = parts[2] }
            }
        }
        return host
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let raw = Array(text.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
