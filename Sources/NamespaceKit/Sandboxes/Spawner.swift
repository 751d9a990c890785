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

        /// Waits for the init to report the inodes of its namespaces, which it does once they all
        /// exist and before its command can run: read from /proc afterwards, a command that ends
        /// at once would have taken them along. On failure the init has been reaped.
        mutating func namespaces() throws(SandboxError) -> [NamespaceType: UInt64?] {
            guard nsd_spawn_inodes(&result) == 0 else { throw Spawner.failure(result, spec: spec) }
            let reported = withUnsafeBytes(of: result.inodes) { Array($0.bindMemory(to: UInt64.self)) }
            let order: [NamespaceType] = [.mnt, .uts, .ipc, .pid, .net, .user, .cgroup, .time]
            var inodes: [NamespaceType: UInt64?] = [:]
            for (type, inode) in zip(order, reported) { inodes[type] = .some(inode == 0 ? nil : inode) }
            return inodes
        }

        consuming func finish() throws(SandboxError) -> Started {
            guard nsd_spawn_finish(&result) == 0 else { throw Spawner.failure(result, spec: spec) }
            return Started(pid: result.pid, pidfd: result.pidfd)
        }
    }

    static func failure(_ result: nsd_spawn_result, spec: SandboxSpec) -> SandboxError {
        failure(step: result.step, errno: result.err, index: result.index, subject: .init(spec))
    }

    /// What a failed step worked on, for the problem's `detail`.
    struct Subject {
        var command: String
        var cwd: String
        var rootfs: String?
        var mounts: [SandboxSpec.Mount]
        var isExec = false

        init(_ spec: SandboxSpec) {
            command = spec.command[0]
            cwd = spec.cwd
            rootfs = spec.rootfs
            mounts = spec.mounts
        }

        init(exec request: ExecRequest, in spec: SandboxSpec) {
            command = request.command[0]
            cwd = request.cwd ?? spec.cwd
            rootfs = spec.rootfs
            mounts = spec.mounts
            isExec = true
        }
    }

    /// Steps of the server's own machinery (the spawner, its socket and pipes, the configuration
    /// it sends): a failure there is the server's, a 500, never the client's.
    static let serverSteps: Set<String> = [
        "config", "spawn", "find nsd-init", "socketpair", "mmap", "clone", "exec nsd-init", "nsd-init reply",
        "nsd-init request", "pidfd_open", "pipe", "init_request", "sync",
    ]

    /// The stable step (steps.c's names) with a detail that names what it worked on: the mount
    /// ("mounts[1] /data"), the rootfs, the command or the working directory.
    static func failure(step: UnsafePointer<CChar>?, errno: Int32, index: Int32, subject: Subject) -> SandboxError {
        let name = step.map { String(cString: $0) } ?? "spawn"
        let code = Errno(rawValue: errno)
        if serverSteps.contains(name) || (name == "wait for child" && code != .timedOut) {
            return .internalFailure("\(name): \(code) (errno \(errno))")
        }
        let stable = name == "wait for child" ? "setup_timeout" : name
        var detail: String?
        switch stable {
        case "mount_target", "mount_bind", "mount_tmpfs":
            if index >= 0, Int(index) < subject.mounts.count { detail = "mounts[\(index)] \(subject.mounts[Int(index)].target)" }
        case "rootfs", "pivot_root", "readonly_rootfs":
            detail = subject.rootfs.map { "rootfs \($0)" }
        case "execve":
            detail = "command '\(subject.command)'"
        case "chdir":
            detail = "cwd \(subject.cwd)"
        default:
            if index >= 0 { detail = "entry \(index)" }
        }
        return subject.isExec
            ? .execFailed(step: stable, errno: code, detail: detail)
            : .spawnFailed(step: stable, errno: code, detail: detail)
    }

    /// The spawn and exec configs' description of a cgroup's open files.
    static func cgroupConfig(_ handles: SandboxCgroup.Handles?) -> nsd_cgroup {
        var config = nsd_cgroup()
        guard let handles else { return config }
        if let directory = handles.directory {
            config.has_dir = 1
            config.dir_fd = directory.rawValue
        }
        config.nprocs = UInt32(handles.procs.count)
        withUnsafeMutableBytes(of: &config.procs_fds) { raw in
            let slots = raw.bindMemory(to: Int32.self)
            for (index, file) in handles.procs.enumerated() where index < slots.count { slots[index] = file.rawValue }
        }
        return config
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

    /// argv[0] searched in the spec's PATH (inside the rootfs when there is one), as execvp would;
    /// a rootfs that is not a directory is named first, since nothing could be found in it.
    static func executable(_ spec: SandboxSpec) throws(SandboxError) -> String {
        if let rootfs = spec.rootfs {
            var status = stat()
            guard stat(rootfs, &status) == 0 else {
                throw .spawnFailed(step: "rootfs", errno: Errno(rawValue: Glibc.errno), detail: "rootfs \(rootfs)")
            }
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw .spawnFailed(step: "rootfs", errno: .notDirectory, detail: "rootfs \(rootfs)")
            }
        }
        let path = spec.env["PATH"] ?? SandboxSpec.defaultPath
        guard let found = resolve(spec.command[0], path: path, root: spec.rootfs ?? "") else {
            throw .spawnFailed(
                step: "execve", errno: .noSuchFileOrDirectory,
                detail: "command '\(spec.command[0])' not found in PATH \(path)")
        }
        return found
    }

    /// nil when a bare command name is in none of PATH's directories.
    static func resolve(_ command: String, path: String, root: String) -> String? {
        if command.contains("/") { return command }
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(command)"
            if access(root + candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Clones the init; the files may be closed once this returns (the init has its copies).
    /// - Parameter rootfs: the spec's rootfs as a real path (checked, without symlinks).
    /// - Parameter sources: the checked host path of each bind mount, by index.
    static func begin(
        _ spec: SandboxSpec, hostname: String?, files: StateDirectory.Files,
        settings: ConfinementSettings, rootfs: String?, sources: [String?],
        cgroup: SandboxCgroup.Handles?, joins: borrowing JoinTargets
    ) throws(SandboxError) -> Starting {
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
        config.rootfs = strings.string(rootfs)
        config.readonly_rootfs = spec.readonlyRootfs ? 1 : 0
        config.mount_proc = spec.mountProc ? 1 : 0
        config.time_offset_monotonic = spec.timeOffsets?.monotonic ?? 0
        config.time_offset_boottime = spec.timeOffsets?.boottime ?? 0
        config.cwd = strings.string(spec.cwd)
        config.uid = spec.user.uid
        config.gid = spec.user.gid
        config.stdout_fd = files.stdout
        config.stderr_fd = files.stderr
        config.log_bytes = UInt64(spec.resources.logBytes)
        config.exit_record_fd = files.exitRecord
        config.view = ConfinementPlan.view(spec, settings: settings, rootfs: rootfs, sources: sources, arena: strings)
        config.confinement = try ConfinementPlan.confinement(spec, arena: strings)
        config.cgroup = cgroupConfig(cgroup)
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
