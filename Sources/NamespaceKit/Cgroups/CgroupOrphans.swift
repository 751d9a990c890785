import Foundation

/// Sandbox cgroups below the parents whose sandbox the registry does not know: left by a crash
/// between a DELETE's journal entry and the cgroup's removal, or by a creation never recorded.
/// Empty ones are removed. One that still holds processes is killed and removed only when it is
/// known to be this server's (its init held an exit record of this state directory: `ours`);
/// any other may belong to another server given the same parent, and is left alone.
enum CgroupOrphans {
    static func clear(_ layout: CgroupLayout, known: Set<String>, ours: Set<String>) -> [String] {
        guard layout.exclusive else { return [] }
        var ids = Set<String>()
        for parent in layout.allParents {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            where isSandboxID(name) && !known.contains(name) {
                ids.insert(name)
            }
        }
        var notes: [String] = []
        for id in ids.sorted() {
            let cgroup = SandboxCgroup(id: id, layout: layout)
            if ours.contains(id) {
                cgroup.killAll()
            } else if !cgroup.isEmpty {
                notes.append("left the cgroup \(id) alone: processes run in it, and no sandbox of this server's")
                continue
            }
            notes.append(
                cgroup.remove()
                    ? "removed the cgroup of vanished sandbox \(id)"
                    : "could not remove the cgroup of vanished sandbox \(id)")
        }
        return notes
    }

    /// Sandbox ids are 32 lowercase hex digits; nothing else below the parent is ours to remove.
    static func isSandboxID(_ name: String) -> Bool {
        name.utf8.count == 32 && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
