#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import SystemPackage

/// Turns a spec into the shim's configuration and starts it.
enum Spawner {
    struct Started {
        var pid: Int32
        var pidfd: Int32
    }

    /// An init that exists (its pid is known) and is still setting up and exec'ing the command.
    struct Starting {
        fileprivate var result: nsd_spawn_result
        var pid: Int32 { result.pid }

        /// Waits for the command's exec; on failure the init has been reaped.
        fileprivate var spec: SandboxSpec

        consuming func finish() throws(SandboxError) -> Started {
            guard nsd_spawn_finish(&result) == 0 else { throw Spawner.failure(result, spec: spec) }
            return Started(pid: result.pid, pidfd: result.pidfd)
        }
    }

    static func failure(_ result: nsd_spawn_result, spec: SandboxSpec? = nil) -> SandboxError {
        failure(step: result.step, errno: result.err, index: result.index, spec: spec)
    }

    /// A step that worked on one of the spec's mounts names it ("mounts[1] /data: bind mount");
    /// other list steps name the entry's index.
    static func failure(step: UnsafePointer<CChar>?, errno: Int32, index: Int32, spec: SandboxSpec? = nil) -> SandboxError {
        let name = step.map { String(cString: $0) } ?? "spawn"
        let mountSteps = ["create mount target", "bind mount", "mount tmpfs"]
        let described: String
        if index >= 0, mountSteps.contains(name), let spec, Int(index) < spec.mounts.count {
            described = "mounts[\(index)] \(spec.mounts[Int(index)].target): \(name)"
        } else {
            described = index >= 0 ? "\(name) [\(index)]" : name
        }
        return .spawnFailed(step: described, errno: Errno(rawValue: errno))
    }

    static func flags(_ types: [NamespaceType]) -> UInt64 {
        types.reduce(0) { $0 | flag($1) }
    }

    static func flag(_ type: NamespaceType) -> UInt64 {
        let value: Int
        switch type {
        case .mnt: value = NSD_CLONE_NEWNS
        case .uts: value = NSD_CLONE_NEWUTS
        case .ipc: value = NSD_CLONE_NEWIPC
        case .pid: value = NSD_CLONE_NEWPID
        case .net: value = NSD_CLONE_NEWNET
        case .user: value = NSD_CLONE_NEWUSER
        case .cgroup: value = NSD_CLONE_NEWCGROUP
        case .time: value = NSD_CLONE_NEWTIME
        }
        return UInt64(value)
    }

    static func mapText(_ mappings: [SandboxSpec.IDMapping]?) -> String? {
        mappings.map { $0.map { "\($0.insideId) \($0.outsideId) \($0.count)\n" }.joined() }
    }

    static func environment(_ env: [String: String]) -> [String] {
        env.keys.sorted().map { "\($0)=\(env[$0]!)" }
    }

    /// argv[0] searched in the spec's PATH (inside the rootfs when there is one), as execvp would.
    static func executable(_ spec: SandboxSpec) throws(SandboxError) -> String {
        try resolve(spec.command[0], path: spec.env["PATH"] ?? SandboxSpec.defaultPath, root: spec.rootfs ?? "")
    }

    static func resolve(_ command: String, path: String, root: String) throws(SandboxError) -> String {
        if command.contains("/") { return command }
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(command)"
            if access(root + candidate, X_OK) == 0 { return candidate }
        }
        throw .spawnFailed(step: "exec \(command) (not found in PATH)", errno: .noSuchFileOrDirectory)
    }

    /// Clones the init; the files may be closed once this returns (the init has its copies).
    /// - Parameter sources: the checked host path of each bind mount, by index.
    static func begin(_ spec: SandboxSpec, hostname: String?, files: StateDirectory.Files,
                      settings: ConfinementSettings, sources: [String?], joins: borrowing JoinTargets) throws(SandboxError) -> Starting {
        let path = try executable(spec)
        let strings = CArena()
        var config = nsd_spawn_config()
        config.path = strings.string(path)
        config.argv = strings.array(spec.command)
        config.envp = strings.array(environment(spec.env))
        config.ns_flags = flags(spec.namespaces)
        config.hostname = strings.string(hostname)
        config.domainname = strings.string(spec.domainname)
        // A joined user namespace's maps are written already.
        config.uid_map = strings.string(spec.has(.user) ? mapText(spec.uidMappings) : nil)
        config.gid_map = strings.string(spec.has(.user) ? mapText(spec.gidMappings) : nil)
        config.setgroups_deny = 0
        config.rootfs = strings.string(spec.rootfs)
        config.readonly_rootfs = spec.readonlyRootfs ? 1 : 0
        config.mount_proc = spec.mountProc ? 1 : 0
        config.time_offset_monotonic = spec.timeOffsets?.monotonic ?? 0
        config.time_offset_boottime = spec.timeOffsets?.boottime ?? 0
        config.cwd = strings.string(spec.cwd)
        config.uid = spec.user.uid
        config.gid = spec.user.gid
        config.stdout_fd = files.stdout
        config.stderr_fd = files.stderr
        config.exit_record_fd = files.exitRecord
        config.view = ConfinementPlan.view(spec, settings: settings, sources: sources, arena: strings)
        config.confinement = try ConfinementPlan.confinement(spec, arena: strings)
        config.njoins = UInt32(joins.opened.count)
        withUnsafeMutableBytes(of: &config.join_types) { types in
            withUnsafeMutableBytes(of: &config.join_fds) { fds in
                for (index, entry) in joins.opened.enumerated() {
                    types.storeBytes(of: UInt32(flag(entry.type)), toByteOffset: index * 4, as: UInt32.self)
                    fds.storeBytes(of: entry.fd, toByteOffset: index * 4, as: Int32.self)
                }
            }
        }
        var result = nsd_spawn_result()
        let rc = withExtendedLifetime(strings) { nsd_spawn_begin(&config, &result) }
        guard rc == 0 else { throw failure(result, spec: spec) }
        return Starting(result: result, spec: spec)
    }
}
