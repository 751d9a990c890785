#if canImport(Glibc)
import Glibc
#endif

/// Turning cgroup2 controllers on for the sandboxes' parent: each level from the hierarchy's root
/// down to the parent must list the controller in its `cgroup.subtree_control`. A level that holds
/// processes refuses (the "no internal processes" rule); when that level is the server's own
/// cgroup (a systemd unit with Delegate=yes), the server's processes move to a `server` leaf below
/// it first, as crun and podman do.
enum CgroupDelegation {
    static func enable(_ controller: CgroupController, in hierarchy: CgroupHost.Hierarchy, down parent: String) -> Bool {
        let name = controller.rawValue
        guard words(hierarchy.mountPoint + "/cgroup.controllers").contains(name) else { return false }
        let own = hierarchy.own.flatMap(hierarchy.directory)
        var level = hierarchy.mountPoint
        let rest = parent.dropFirst(hierarchy.mountPoint.count).split(separator: "/")
        for index in 0...rest.count {
            if index > 0 { level += "/" + rest[index - 1] }
            if words(level + "/cgroup.subtree_control").contains(name) { continue }
            do throws(SystemError) {
                try CgroupFiles.write(level + "/cgroup.subtree_control", "+" + name)
            } catch {
                guard error.errno == .resourceBusy, level == own, evacuate(level),
                    (try? CgroupFiles.write(level + "/cgroup.subtree_control", "+" + name)) != nil
                else { return false }
            }
        }
        return true
    }

    /// Moves every process of `directory` into its `server` child.
    private static func evacuate(_ directory: String) -> Bool {
        let leaf = directory + "/server"
        guard (try? CgroupFiles.makeDirectory(leaf)) != nil else { return false }
        for pid in CgroupFiles.pids(directory + "/cgroup.procs") {
            guard (try? CgroupFiles.write(leaf + "/cgroup.procs", String(pid))) != nil else { return false }
        }
        return true
    }

    private static func words(_ path: String) -> [String] {
        (CgroupFiles.read(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
