import CNamespace
import Foundation

/// After a restart: which recorded sandboxes still run (same pid AND same start time, so a
/// recycled pid is never taken for ours), and how the others ended while nobody watched.
enum Adoption {
    struct Result {
        var sandboxes: [Sandbox] = []
        var pidfds: [String: Int32] = [:]
        var notes: [String] = []
    }

    static func adopt(_ image: RegistryImage, state: StateDirectory, cgroups: CgroupLayout) -> Result {
        var result = Result()
        for id in image.order {
            guard var sandbox = image.sandboxes[id]?.sandbox else { continue }
            if sandbox.state == .running {
                if ProcFS.processStat(pid: sandbox.pid)?.startTime == sandbox.startTime,
                    case let fd = nsd_pidfd_open(sandbox.pid), fd >= 0
                {
                    result.pidfds[id] = fd
                } else {
                    sandbox.settle(record: state.exitRecord(of: id), reaped: nil)
                    sandbox.oomKilled = (sandbox.cgroup?.oomKills ?? 0) > 0
                    result.notes.append(
                        "sandbox \(id) ended while the server was down: "
                            + (sandbox.exitStatusUnknown ? "exit status unknown" : "exit recorded"))
                }
            }
            result.sandboxes.append(sandbox)
        }
        if !result.pidfds.isEmpty { result.notes.append("re-adopted \(result.pidfds.count) running sandboxes") }
        let orphans = Orphans.clear(state: state, known: Set(image.order))
        result.notes += orphans.notes
        result.notes += CgroupOrphans.clear(cgroups, known: Set(image.order), ours: orphans.ids)
        return result
    }
}
