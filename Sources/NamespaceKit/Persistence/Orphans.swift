#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Sandboxes started just before a crash, whose creation never reached the journal: the client
/// never got a 201, so they must not run on untracked. Each sandbox's init keeps its exit record
/// open, which names the sandbox; an init holding a record of an id the registry does not know
/// is such an orphan.
enum Orphans {
    struct Found {
        var id: String
        var pid: Int32
    }

    static func find(state: StateDirectory, known: Set<String>) -> [Found] {
        let prefix = state.sandboxesRoot + "/"
        var found: [Found] = []
        for pid in ProcFS.pids() where ProcFS.processStat(pid: pid)?.comm == "nsd-init" {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix(prefix), target.hasSuffix("/exit")
                else { continue }
                let id = String(target.dropFirst(prefix.count).dropLast("/exit".count))
                if !known.contains(id) { found.append(Found(id: id, pid: pid)) }
            }
        }
        return found
    }

    /// Kills each orphan with everything it started, and removes the files of every sandbox
    /// directory the registry does not know.
    static func clear(state: StateDirectory, known: Set<String>) -> (notes: [String], ids: Set<String>) {
        var notes: [String] = []
        let orphans = find(state: state, known: known)
        for orphan in orphans {
            for child in ProcessTree.descendants(of: orphan.pid).reversed() { kill(child, SIGKILL) }
            kill(orphan.pid, SIGKILL)
            notes.append("killed sandbox \(orphan.id) (pid \(orphan.pid)): it started but its creation was never recorded")
        }
        let directories = state.sandboxDirectories
        // Not recycled: a killed orphan's processes may not all be gone yet.
        for id in directories where !known.contains(id) { state.remove(id, recycle: false) }
        return (notes, Set(orphans.map(\.id)))
    }
}
