#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An open directory of the state directory, closed when dropped. Everything under it is reached
/// relative to it, one name at a time, and no name is followed if it is a symlink: what a sandbox
/// plants in its own log directory is never a way out of it.
struct Directory: ~Copyable, Sendable {
    let fd: FileDescriptor
    /// For messages only; never opened.
    let path: String

    private init(fd: FileDescriptor, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { try? fd.close() }

    /// Opens the directory at an absolute path, following no symlink in its last component.
    static func open(_ path: String) throws(Errno) -> Directory {
        Directory(fd: try Syscall.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), path: path)
    }

    var trust: FileTrust {
        get throws(Errno) { FileTrust(try Syscall.stat(fd)) }
    }

    /// A subdirectory that is a real directory of the server's user, writable by nobody else;
    /// EACCES when it is something else.
    func subdirectory(_ name: String) throws(Errno) -> Directory {
        let child = Directory(fd: try Syscall.openAt(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), path: path + "/" + name)
        guard try child.trust.directoryProblem(server: Syscall.effectiveUser, isParent: false) == nil else {
            throw .permissionDenied
        }
        return child
    }

    /// Creates a subdirectory; one already there is fine.
    func makeSubdirectory(_ name: String, mode: mode_t = 0o700) throws(Errno) {
        do { try Syscall.mkdirAt(fd, name, mode: mode) } catch .fileExists {}
    }

    /// The file open, if it is a regular file of the server's user with no second link; nil when
    /// it is missing or anything else. O_NONBLOCK keeps a FIFO in its place from blocking the open.
    func openTrusted(_ name: String, _ flags: Int32) -> FileDescriptor? {
        guard let file = try? Syscall.openAt(fd, name, flags | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        guard let facts = try? Syscall.stat(file), FileTrust(facts).fileProblem(server: Syscall.effectiveUser) == nil,
            (try? Syscall.clearNonBlocking(file)) != nil
        else {
            try? file.close()
            return nil
        }
        return file
    }

    /// Whether `openTrusted` would accept the file; the file is not opened for writing.
    func isTrusted(_ name: String) -> Bool {
        guard let file = openTrusted(name, O_RDONLY) else { return false }
        try? file.close()
        return true
    }

    /// The file emptied and open for writing. Whatever else is in its place (a symlink, a hard
    /// link, a FIFO) is unlinked and a new file made: the server never writes through it.
    func openEmpty(_ name: String) throws(Errno) -> FileDescriptor {
        if let file = openTrusted(name, O_WRONLY | O_CREAT) {
            do throws(Errno) {
                try Syscall.truncate(file, to: 0)
                return file
            } catch {
                try? file.close()
                throw error
            }
        }
        removeTree(name)
        return try Syscall.openAt(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW)
    }

    /// Removes an entry and, for a directory, everything in it; links are removed, never
    /// followed. Whatever cannot be removed stays.
    func removeTree(_ name: String) {
        do { try Syscall.unlinkAt(fd, name) } catch .isDirectory {
            if let child = try? Syscall.openAt(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
                let directory = Directory(fd: child, path: path + "/" + name)
                for entry in (try? Syscall.entries(of: directory.fd)) ?? [] { directory.removeTree(entry) }
            }
            try? Syscall.unlinkAt(fd, name, isDirectory: true)
        } catch {}
    }

    var entries: [String] { (try? Syscall.entries(of: fd)) ?? [] }
}
