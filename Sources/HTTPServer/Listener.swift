#if canImport(Glibc)
import Glibc
#endif

/// Creates the listening socket MHD is handed, so that unix sockets and port 0 work alike.
enum Listener {
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var argument: String
        var errno: Int32
        var description: String { "\(call)(\(argument)): \(String(cString: strerror(errno)))" }
    }

    /// Returns the socket and, for TCP, the port actually bound (useful with port 0).
    static func open(_ address: ListenAddress, socketGroup: UInt32? = nil, backlog: Int32 = 1024) throws(Failure) -> (
        fd: Int32, port: UInt16?
    ) {
        switch address {
        case .tcp(let host, let port): return try openTCP(host: host, port: port, backlog: backlog)
        case .unix(let path): return (try openUnix(path: path, group: socketGroup, backlog: backlog), nil)
        }
    }

    private static func openTCP(host: String, port: UInt16, backlog: Int32) throws(Failure) -> (fd: Int32, port: UInt16?) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let info = list else {
            throw Failure(call: "getaddrinfo", argument: host, errno: rc == EAI_SYSTEM ? Glibc.errno : EINVAL)
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", argument: host, errno: Glibc.errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = Glibc.errno
            close(fd)
            throw Failure(call: "bind", argument: "\(host):\(port)", errno: error)
        }
        guard listen(fd, backlog) == 0 else {
            let error = Glibc.errno
            close(fd)
            throw Failure(call: "listen", argument: "\(host):\(port)", errno: error)
        }
        return (fd, boundPort(fd))
    }

    private static func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        let family = storage.ss_family
        return withUnsafeBytes(of: storage) { raw -> UInt16 in
            if family == sa_family_t(AF_INET6) {
                return UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in6.self).sin6_port)
            }
            return UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in.self).sin_port)
        }
    }

    /// The socket file is created mode 0600 (umask around bind, so there is no window in which
    /// another user could connect), then given to `group` with mode 0660 if one is set. A stale
    /// socket from an earlier run is replaced; a live one (a server answers there) is not.
    private static func openUnix(path: String, group: UInt32?, backlog: Int32) throws(Failure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw Failure(call: "bind", argument: path + " (exists and is not a socket)", errno: EEXIST)
            }
            guard !answers(&address) else {
                throw Failure(call: "bind", argument: path + " (a server is listening there)", errno: EADDRINUSE)
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", argument: path, errno: Glibc.errno) }
        let old = umask(0o177)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindError = Glibc.errno
        umask(old)
        guard rc == 0 else {
            close(fd)
            throw Failure(call: "bind", argument: path, errno: bindError)
        }
        if let group {
            guard chown(path, UInt32.max, group) == 0, chmod(path, 0o660) == 0 else {
                let error = Glibc.errno
                close(fd)
                throw Failure(call: "chown/chmod", argument: path, errno: error)
            }
        }
        guard listen(fd, backlog) == 0 else {
            let error = Glibc.errno
            close(fd)
            throw Failure(call: "listen", argument: path, errno: error)
        }
        return fd
    }

    /// Whether something accepts connections on the socket file (a stale one refuses them).
    private static func answers(_ address: inout sockaddr_un) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
