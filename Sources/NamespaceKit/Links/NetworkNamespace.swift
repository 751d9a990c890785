#if canImport(Glibc)
import Glibc
#endif

/// An open network namespace (an nsfs file: /proc/PID/ns/net or a held namespace's bind mount),
/// closed when dropped. Open, it stays alive even if every process in it exits.
public final class NetworkNamespace: Sendable {
    let fd: Int32
    public let inode: UInt64
    private let device: UInt64

    /// Opens `path`; nil when it does not exist. The caller names a network namespace: setns
    /// and IFLA_NET_NS_FD refuse any other kind (EINVAL).
    public init?(path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0, errno == ENOENT || errno == ESRCH { return nil }
        guard fd >= 0 else { throw SystemError("open", path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = SystemError("fstat", path)
            close(fd)
            throw error
        }
        self.fd = fd
        self.inode = UInt64(st.st_ino)
        self.device = UInt64(st.st_dev)
    }

    deinit { close(fd) }

    /// The namespace the server's threads are in: where host ends of links go.
    public static func servers() throws(SystemError) -> NetworkNamespace {
        guard let own = try NetworkNamespace(path: "/proc/thread-self/ns/net") else {
            throw SystemError("open", "/proc/thread-self/ns/net", errno: .noSuchFileOrDirectory)
        }
        return own
    }

    public func isSame(as other: NetworkNamespace) -> Bool { inode == other.inode && device == other.device }
}
