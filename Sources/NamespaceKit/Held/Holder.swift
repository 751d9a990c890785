#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import SystemPackage

/// Asks the spawner to make a namespace and bind it onto its target (Sources/nsd-init/hold.c).
enum Holder {
    struct Keeper {
        var pid: Int32
        var pidfd: Int32
    }

    /// - Returns: the keeper of a pid namespace; nil for the other types.
    static func hold(_ request: HeldNamespaceRequest.Resolved, target: String, detach: String) throws(SandboxError) -> Keeper? {
        let strings = CArena()
        var config = nsd_hold_config()
        config.ns_flag = Spawner.flag(request.type)
        config.target = strings.string(target)
        config.detach = strings.string(detach)
        config.uid_map = strings.string(Spawner.mapText(request.uidMappings))
        config.gid_map = strings.string(Spawner.mapText(request.gidMappings))
        config.time_offset_monotonic = request.timeOffsets?.monotonic ?? 0
        config.time_offset_boottime = request.timeOffsets?.boottime ?? 0
        var result = nsd_hold_result()
        let rc = withExtendedLifetime(strings) { nsd_hold(&config, &result) }
        guard rc == 0 else {
            let step = result.step.map { String(cString: $0) } ?? "hold"
            throw .spawnFailed(step: step, errno: Errno(rawValue: result.err))
        }
        return result.pid > 0 ? Keeper(pid: result.pid, pidfd: result.pidfd) : nil
    }

    /// Kills a keeper and reaps it (or, not being our child after a restart, waits for its end).
    static func stop(keeperPidfd: Int32) {
        nsd_pidfd_send_signal(keeperPidfd, SIGKILL)
        var status = nsd_wait_status()
        _ = nsd_pidfd_wait(keeperPidfd, 5000, &status)
    }
}
