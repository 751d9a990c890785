import Foundation

/// Sandbox cgroups below the parents whose sandbox the registry does not know: left by a crash
/// between a DELETE's journal entry and the cgroup's removal, or by a creation never recorded.
/// Anything still in one is killed (as `Orphans` does with unrecorded inits), then it is removed.
enum CgroupOrphans {
    static func clear(_ layout: CgroupLayout, known: Set<String>) -> [String] {
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
            let wasEmpty = cgroup.isEmpty
            cgroup.killAll()
            notes.append(cgroup.remove()
                ? "removed the cgroup of vanished sandbox \(id)" + (wasEmpty ? "" : " (its processes killed)")
                : "could not remove the cgroup of vanished sandbox \(id)")
        }
        return notes
    }

    /// Sandbox ids are 32 lowercase hex digits; nothing else below the parent is ours to remove.
    static func isSandboxID(_ name: String) -> Bool {
        name.utf8.count == 32 && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
