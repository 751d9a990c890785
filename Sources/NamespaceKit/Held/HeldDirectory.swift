#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// `<state dir>/ns/<type>/<name>`: where held namespaces are bind-mounted. `ns` is a bind mount of
/// itself with private propagation: the state directory's own mount is often shared (systemd
/// makes `/` shared), and a bind below it would propagate into every peer mount namespace, which
/// would then keep the namespace alive after DELETE; the kernel also refuses to bind a mount
/// namespace below a shared mount. Made on first use, so a server that holds nothing adds no mount.
final class HeldDirectory: Sendable {
    let root: String
    private let mounted = Mutex(false)

    init(stateDirectory: String) {
        root = stateDirectory + "/ns"
    }

    func path(_ type: NamespaceType, _ name: String) -> String { "\(root)/\(type.rawValue)/\(name)" }

    func ensureMounted() throws(SystemError) {
        try mounted.withLock { (done: inout Bool) throws(SystemError) in
            guard !done else { return }
            if mkdir(root, 0o700) != 0, errno != EEXIST { throw SystemError("mkdir", root) }
            if !Self.isMountPoint(root), mount(root, root, nil, UInt(MS_BIND), nil) != 0 {
                throw SystemError("mount --bind", root)
            }
            guard mount(nil, root, nil, UInt(MS_PRIVATE), nil) == 0 else { throw SystemError("mount --make-private", root) }
            done = true
        }
    }

    /// An empty file for the bind to cover; a stale one (a crash before the journal had it) goes first.
    func prepareTarget(_ type: NamespaceType, _ name: String) throws(SystemError) -> String {
        let directory = "\(root)/\(type.rawValue)"
        if mkdir(directory, 0o700) != 0, errno != EEXIST { throw SystemError("mkdir", directory) }
        let target = path(type, name)
        release(target)
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o400)
        guard fd >= 0 else { throw SystemError("open", target) }
        close(fd)
        return target
    }

    /// Unmounts (lazily: a process may have it open) and removes the file.
    func release(_ target: String) {
        _ = umount2(target, Int32(MNT_DETACH))
        unlink(target)
    }

    static func isMountPoint(_ path: String) -> Bool {
        guard let bytes = ProcFS.read("/proc/self/mountinfo", limit: 64 << 20) else { return false }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && NsfsMounts.unescape(String(fields[4])) == path
        }
    }
}
