#if canImport(Glibc)
import Glibc
#endif

/// Where sandbox cgroups are made, decided once at start: one parent directory per hierarchy
/// (`--cgroup-parent`, by default a `namespaced` child of the server's own cgroup), which
/// hierarchy each controller's files come from, and cgroup2 for placement and kill when there is
/// one. The parent is locked (flock) for the server's lifetime: two servers sharing it would take
/// each other's sandbox cgroups for orphans.
public final class CgroupLayout: Sendable {
    public let driver: CgroupDriver
    /// The cgroup2 parent: sandboxes are cloned into cgroups below it, and killed through
    /// `cgroup.kill`. Nil on a cgroup v1 only host, with `--cgroup-driver v1`, or `none`.
    public let unified: String?
    /// Per controller, the parent whose sandbox cgroups carry its files (the cgroup2 one, or a
    /// cgroup v1 hierarchy's). A controller missing here is not available.
    public let parents: [CgroupController: String]
    private let lock: Int32

    public static let disabled = CgroupLayout(driver: .none, unified: nil, parents: [:], lock: -1)

    private init(driver: CgroupDriver, unified: String?, parents: [CgroupController: String], lock: Int32) {
        self.driver = driver
        self.unified = unified
        self.parents = parents
        self.lock = lock
    }

    deinit { if lock >= 0 { close(lock) } }

    public var enabled: Bool { unified != nil || !parents.isEmpty }

    func isUnified(_ controller: CgroupController) -> Bool { unified != nil && parents[controller] == unified }

    /// Every parent directory, the cgroup2 one first.
    var allParents: [String] {
        var result = unified.map { [$0] } ?? []
        for parent in parents.values.sorted() where !result.contains(parent) { result.append(parent) }
        return result
    }

    /// One line for the start-up log: what each controller maps to.
    public var summary: String {
        guard enabled else { return "cgroups off (--cgroup-driver none): sandboxes run in the server's cgroup, without limits" }
        var parts = ["driver \(driver.rawValue)"]
        parts.append("placement and kill: " + (unified.map { "cgroup2 \($0) (CLONE_INTO_CGROUP, cgroup.kill)" }
            ?? "cgroup v1 " + (parents[.freezer].map { "\($0) (freezer, then SIGKILL)" } ?? "(SIGKILL until empty)")))
        for controller in [CgroupController.memory, .pids, .cpu, .cpuacct, .freezer] {
            if let parent = parents[controller] {
                parts.append("\(controller.rawValue): \(isUnified(controller) ? "cgroup2" : "v1") \(parent)")
            } else if controller != .cpuacct, controller != .freezer {
                parts.append("\(controller.rawValue): unavailable")
            }
        }
        return parts.joined(separator: "; ")
    }

    public struct SetupError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter parent: a cgroup path ("/namespaced"), the same in every hierarchy; nil for
    ///   a `namespaced` child of the server's own cgroup in each.
    public static func setUp(driver: CgroupDriver, parent: String?) throws(SetupError) -> CgroupLayout {
        if driver == .none { return .disabled }
        if let parent, !parent.hasPrefix("/") || parent.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw SetupError(description: "--cgroup-parent must be an absolute cgroup path without '.' or '..', not '\(parent)'")
        }
        let host = CgroupHost.read()
        func parentDirectory(_ hierarchy: CgroupHost.Hierarchy) -> String? {
            let path = parent ?? ((hierarchy.own ?? "/") == "/" ? "/namespaced" : hierarchy.own! + "/namespaced")
            return hierarchy.directory(path)
        }
        var unified: String?
        var parents: [CgroupController: String] = [:]
        if driver != .v1, let hierarchy = host.unified, let directory = parentDirectory(hierarchy) {
            do throws(SystemError) {
                try CgroupFiles.makeDirectories(directory)
                // cgroup.kill (Linux 5.14) lives in every cgroup but the root.
                guard directory == hierarchy.mountPoint || CgroupFiles.exists(directory + "/cgroup.kill") else {
                    throw SystemError("cgroup.kill", directory, errno: .noSuchFileOrDirectory)
                }
                unified = directory
                for controller in [CgroupController.memory, .pids, .cpu]
                where CgroupDelegation.enable(controller, in: hierarchy, down: directory) {
                    parents[controller] = directory
                }
            } catch {
                if driver == .v2 { throw SetupError(description: "cgroup2 parent \(directory): \(error)") }
            }
        }
        if driver == .v2, unified == nil { throw SetupError(description: "--cgroup-driver v2: no usable cgroup2 hierarchy is mounted") }
        if driver != .v2 {
            var wanted: [CgroupController] = [.memory, .pids, .cpu]
            if unified == nil { wanted += [.cpuacct, .freezer] }
            for controller in wanted where parents[controller] == nil {
                guard let hierarchy = host.v1[controller], let directory = parentDirectory(hierarchy) else { continue }
                do throws(SystemError) { try CgroupFiles.makeDirectories(directory) } catch { continue }
                parents[controller] = directory
            }
            if driver == .v1, parents.isEmpty { throw SetupError(description: "--cgroup-driver v1: no cgroup v1 hierarchy is mounted") }
        }
        guard let first = unified ?? parents.values.sorted().first else { return .disabled }
        let fd = open(first, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if fd >= 0 { close(fd) }
            throw SetupError(description: "cgroup parent \(first) is in use by another namespaced; give each server its own --cgroup-parent")
        }
        return CgroupLayout(driver: driver, unified: unified, parents: parents, lock: fd)
    }
}
