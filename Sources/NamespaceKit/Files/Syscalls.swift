#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The libc calls behind the state directory's files, in one place: each retries EINTR and
/// throws the errno; callers hold `FileDescriptor`s, never raw numbers.
enum Syscall {
    /// `openat` relative to a directory; close-on-exec, and never a controlling terminal.
    static func openAt(_ directory: FileDescriptor, _ name: String, _ flags: Int32, mode: mode_t = 0o600) throws(Errno)
        -> FileDescriptor
    {
        FileDescriptor(rawValue: try retrying { Glibc.openat(directory.rawValue, name, flags | O_CLOEXEC | O_NOCTTY, mode) })
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { Glibc.open(path, flags | O_CLOEXEC | O_NOCTTY, mode) })
    }

    static func mkdirAt(_ directory: FileDescriptor, _ name: String, mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.mkdirat(directory.rawValue, name, mode) }
    }

    static func mkdir(_ path: String, mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.mkdir(path, mode) }
    }

    /// Removes the entry itself: a symlink is removed, never followed.
    static func unlinkAt(_ directory: FileDescriptor, _ name: String, isDirectory: Bool = false) throws(Errno) {
        _ = try retrying { Glibc.unlinkat(directory.rawValue, name, isDirectory ? AT_REMOVEDIR : 0) }
    }

    static func renameAt(_ from: FileDescriptor, _ fromName: String, _ to: FileDescriptor, _ toName: String) throws(Errno) {
        _ = try retrying { Glibc.renameat(from.rawValue, fromName, to.rawValue, toName) }
    }

    static func stat(_ fd: FileDescriptor) throws(Errno) -> Glibc.stat {
        var result = Glibc.stat()
        _ = try retrying { Glibc.fstat(fd.rawValue, &result) }
        return result
    }

    static func lstat(_ path: String) throws(Errno) -> Glibc.stat {
        var result = Glibc.stat()
        _ = try retrying { Glibc.lstat(path, &result) }
        return result
    }

    static func chmod(_ fd: FileDescriptor, _ mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.fchmod(fd.rawValue, mode) }
    }

    static func truncate(_ fd: FileDescriptor, to length: Int64) throws(Errno) {
        _ = try retrying { Glibc.ftruncate(fd.rawValue, off_t(length)) }
    }

    static func sync(_ fd: FileDescriptor) throws(Errno) {
        _ = try retrying { Glibc.fsync(fd.rawValue) }
    }

    static func syncData(_ fd: FileDescriptor) throws(Errno) {
        _ = try retrying { Glibc.fdatasync(fd.rawValue) }
    }

    /// An exclusive `flock` taken without waiting: EWOULDBLOCK when another open file holds it.
    static func lockExclusively(_ fd: FileDescriptor) throws(Errno) {
        // Unqualified: `Glibc.flock` names the struct, not the call.
        _ = try retrying { flock(fd.rawValue, LOCK_EX | LOCK_NB) }
    }

    /// The file was opened O_NONBLOCK only so that a FIFO in its place could not block the open.
    static func clearNonBlocking(_ fd: FileDescriptor) throws(Errno) {
        let flags = try retrying { Glibc.fcntl(fd.rawValue, F_GETFL) }
        _ = try retrying { Glibc.fcntl(fd.rawValue, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// The names in a directory, without `.` and `..`.
    static func entries(of directory: FileDescriptor) throws(Errno) -> [String] {
        // fdopendir takes the descriptor over: it gets its own copy, read from offset 0.
        let copy = try retrying { Glibc.fcntl(directory.rawValue, F_DUPFD_CLOEXEC, 0) }
        guard let stream = fdopendir(copy) else {
            let error = Errno(rawValue: errno)
            Glibc.close(copy)
            throw error
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static var effectiveUser: uid_t { geteuid() }

    private static func retrying(_ call: () -> Int32) throws(Errno) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }
}
