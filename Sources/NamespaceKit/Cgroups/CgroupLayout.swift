#if canImport(Glibc)
import Glibc
#endif

/// Where sandbox cgroups are made, decided once at start: one parent directory per hierarchy
/// (`--cgroup-parent`, by default a `namespaced` child of the server's own cgroup), which
/// hierarchy each controller's files come from, and cgroup2 for placement and kill when there is
/// one. The server locks the parent (flock) for its lifetime; a second server given the same
/// parent works too (sandbox ids do not collide) but must not clear the first one's cgroups as
/// orphans: only the lock's holder does.
public final class CgroupLayout: Sendable {
    public let driver: CgroupDriver
    /// The cgroup2 parent: sandboxes are cloned into cgroups below it, and killed through
    /// `cgroup.kill`. Nil on a cgroup v1 only host, with `--cgroup-driver v1`, or `none`.
    public let unified: String?
    /// Per controller, the parent whose sandbox cgroups carry its files (the cgroup2 one, or a
    /// cgroup v1 hierarchy's). A controller missing here is not available.
    public let parents: [CgroupController: String]
    private let lock: Int32
    /// This server holds the parent's lock: cgroups below it without a sandbox are orphans.
    public let exclusive: Bool

    public static let disabled = CgroupLayout(driver: .none, unified: nil, parents: [:], lock: -1)

    private init(driver: CgroupDriver, unified: String?, parents: [CgroupController: String], lock: Int32) {
        self.driver = driver
        self.unified = unified
        self.parents = parents
        self.lock = lock
        exclusive = lock >= 0
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

    /// Removes the parents that hold no sandbox cgroup any more, at a clean stop; left alone when
    /// another server shares them (it may still make sandboxes there).
    public func removeEmptyParents() {
        guard exclusive else { return }
        for parent in allParents { rmdir(parent) }
    }

    /// One line for the start-up log: what each controller maps to.
    public var summary: String {
        guard enabled else { return "cgroups off (--cgroup-driver none): sandboxes run in the server's cgroup, without limits" }
        var parts = ["driver \(driver.rawValue)"]
        if !exclusive { parts.append("parent shared with another namespaced: orphaned cgroups are left alone") }
        parts.append(
            "placement and kill: "
                + (unified.map { "cgroup2 \($0) (CLONE_INTO_CGROUP, cgroup.kill)" }
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

    /// - Parameter parent: a cgroup path, the same in every hierarchy: absolute ("/namespaced")
    ///   from the hierarchy's root, or relative ("namespaced", the default) below the server's own
    ///   cgroup in each hierarchy, as Docker's --cgroup-parent.
    public static func setUp(driver: CgroupDriver, parent: String = "namespaced") throws(SetupError) -> CgroupLayout {
        if driver == .none { return .disabled }
        let components = parent.split(separator: "/", omittingEmptySubsequences: false).dropFirst(parent.hasPrefix("/") ? 1 : 0)
        guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw SetupError(
                description: "--cgroup-parent must be a cgroup path without empty, '.' or '..' components, not '\(parent)'")
        }
        let host = CgroupHost.read()
        func parentDirectory(_ hierarchy: CgroupHost.Hierarchy) -> String? {
            if parent.hasPrefix("/") { return hierarchy.directory(parent) }
            let own = hierarchy.own ?? "/"
            return hierarchy.directory((own == "/" ? "" : own) + "/" + parent)
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
        if driver == .v2, unified == nil {
            throw SetupError(description: "--cgroup-driver v2: no usable cgroup2 hierarchy is mounted")
        }
        if driver != .v2 {
            var wanted: [CgroupController] = [.memory, .pids, .cpu]
            if unified == nil { wanted += [.cpuacct, .freezer] }
            for controller in wanted where parents[controller] == nil {
                guard let hierarchy = host.v1[controller], let directory = parentDirectory(hierarchy) else { continue }
                do throws(SystemError) { try CgroupFiles.makeDirectories(directory) } catch { continue }
                parents[controller] = directory
            }
            if driver == .v1, parents.isEmpty {
                throw SetupError(description: "--cgroup-driver v1: no cgroup v1 hierarchy is mounted")
            }
        }
        guard let first = unified ?? parents.values.sorted().first else { return .disabled }
        var fd = open(first, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
        }
        return CgroupLayout(driver: driver, unified: unified, parents: parents, lock: fd)
    }
}
