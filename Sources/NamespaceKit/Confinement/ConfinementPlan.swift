#if canImport(Glibc)
import Glibc
#endif
import CNamespace

/// What the server fixes once for every confined sandbox: which host paths no sandbox may see.
public struct ConfinementSettings: Sendable {
    /// Real absolute host paths: the state directory and credential files (tokens, TLS keys).
    public var hidden: [String]

    public init(hidden: [String]) {
        self.hidden = hidden
    }

    /// The real paths of what to hide; credential files that do not exist (yet) are hidden by
    /// the name given.
    static func prepare(stateDirectory: String, hidden: [String]) throws(SystemError) -> ConfinementSettings {
        func real(_ path: String) -> String? {
            guard let pointer = realpath(path, nil) else { return nil }
            defer { free(pointer) }
            return String(cString: pointer)
        }
        guard let state = real(stateDirectory) else { throw SystemError("realpath", stateDirectory) }
        return ConfinementSettings(hidden: [state] + hidden.map { real($0) ?? $0 })
    }

    /// The host path of a bind source, if a sandbox may have it: its real path must neither lie
    /// inside a hidden path nor contain one (binding "/var" would show "/var/lib/namespaced").
    /// The init opens the real path without following symlinks, so a path changed meanwhile fails.
    func checkBindSource(_ source: String, member: String) throws(SandboxError) -> String {
        let path = try Self.real(source, step: "mount_source", detail: member)
        for hidden in self.hidden where Self.within(path, hidden) || Self.within(hidden, path) {
            throw .invalidSpec(
                SpecError(member, "'\(source)' is or contains \(hidden), which the server keeps from every sandbox"))
        }
        return path
    }

    /// The real path of a rootfs, which must not lie inside a hidden path (a hidden path inside it
    /// is masked in the sandbox).
    func checkRootfs(_ rootfs: String) throws(SandboxError) -> String {
        let path = try Self.real(rootfs, step: "rootfs", detail: "rootfs")
        for hidden in self.hidden where Self.within(path, hidden) {
            throw .invalidSpec(
                SpecError("rootfs", "'\(rootfs)' lies inside \(hidden), which the server keeps from every sandbox"))
        }
        return path
    }

    private static func within(_ inner: String, _ outer: String) -> Bool {
        outer == "/" || inner == outer || inner.hasPrefix(outer + "/")
    }

    private static func real(_ path: String, step: String, detail: String) throws(SandboxError) -> String {
        guard let real = realpath(path, nil) else {
            throw .spawnFailed(step: step, errno: .init(rawValue: errno), detail: "\(detail) \(path)")
        }
        defer { free(real) }
        return String(cString: real)
    }
}

/// A spec's confinement as the shim takes it.
enum ConfinementPlan {
    /// Capabilities, limits and the seccomp filter of the command (and of every exec).
    static func confinement(_ spec: SandboxSpec, arena: CArena) throws(SandboxError) -> nsd_confinement {
        var result = nsd_confinement()
        let limits = spec.rlimits.keys.sorted().compactMap { name in
            ResourceLimit.resource(name).map { nsd_rlimit(resource: $0, reserved: 0, value: spec.rlimits[name]!) }
        }
        result.rlimits = arena.copy(limits)
        result.nrlimits = UInt32(limits.count)
        guard !spec.privileged, let capabilities = spec.capabilities else { return result }
        result.enabled = 1
        let kept = capabilities.effective
        result.capabilities = Capability.mask(kept)
        if spec.seccomp != .unconfined {
            let program: [UInt8]
            do throws(SeccompFilter.CompileError) {
                program = try SeccompFilter.program(sysAdmin: kept.contains("SYS_ADMIN"))
            } catch {
                throw .internalFailure(error.description)
            }
            result.seccomp = UnsafeRawPointer(arena.copy(program))
            result.seccomp_len = UInt32(program.count)
        }
        return result
    }

    /// The filesystem: the confined view, or (privileged) only the spec's mounts.
    /// - Parameter rootfs: the real path of the spec's rootfs.
    /// - Parameter sources: the checked host path of each bind mount, by index.
    static func view(
        _ spec: SandboxSpec, settings: ConfinementSettings, rootfs: String?, sources: [String?],
        arena: CArena
    ) -> nsd_view {
        var view = nsd_view()
        let mounts = zip(spec.mounts, sources).map { mount, source in
            nsd_mount(
                source: arena.string(source), target: arena.string(mount.target),
                size_bytes: mount.sizeBytes ?? 0,
                kind: mount.type == .bind ? UInt32(NSD_MOUNT_BIND.rawValue) : UInt32(NSD_MOUNT_TMPFS.rawValue),
                read_only: mount.readOnly ? 1 : 0)
        }
        view.mounts = arena.copy(mounts)
        view.nmounts = UInt32(mounts.count)
        guard !spec.privileged else { return view }
        view.enabled = 1
        view.private_tmp = rootfs == nil ? 1 : 0
        view.mqueue = spec.has(.ipc) ? 1 : 0
        view.masked = arena.array(SandboxSpec.maskedPaths + hiddenInside(rootfs, settings.hidden))
        view.read_only = arena.array(SandboxSpec.readOnlyPaths)
        return view
    }

    /// Host paths as the sandbox sees them: as they are, or relative to its rootfs when inside it.
    static func hiddenInside(_ rootfs: String?, _ hidden: [String]) -> [String] {
        guard let rootfs else { return hidden }
        return hidden.compactMap { $0.hasPrefix(rootfs + "/") ? String($0.dropFirst(rootfs.count)) : nil }
    }
}
