#if canImport(Glibc)
import Glibc
#endif

/// Files of the state directory: `sandboxes/<id>/{stdout,stderr,exit}`.
public struct StateDirectory: Sendable {
    public let root: String

    /// `root` is resolved to its canonical path: the kernel reports open files that way.
    public init(root: String) {
        self.root = root.withCString { path in
            guard let resolved = realpath(path, nil) else { return root }
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }

    var sandboxesRoot: String { root + "/sandboxes" }
    func directory(of id: String) -> String { "\(sandboxesRoot)/\(id)" }
    func stdout(of id: String) -> String { directory(of: id) + "/stdout" }
    func stderr(of id: String) -> String { directory(of: id) + "/stderr" }
    func exitRecord(of id: String) -> String { directory(of: id) + "/exit" }

    /// The files a new sandbox writes to, opened by the server before the sandbox drops privileges.
    struct Files: Sendable {
        var stdout: Int32
        var stderr: Int32
        var exitRecord: Int32

        func close() {
            for fd in [stdout, stderr, exitRecord] where fd >= 0 { Glibc.close(fd) }
        }
    }

    /// Creates the directory tree, mode 0700: logs and the registry are root's business only.
    func prepare() throws(SystemError) {
        for path in [root, sandboxesRoot] {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw SystemError("mkdir", path) }
        }
    }

    func create(_ id: String) throws(SystemError) -> Files {
        try create(in: directory(of: id))
    }

    /// A directory holding empty `stdout`, `stderr` and `exit`, opened for writing.
    func create(in directory: String) throws(SystemError) -> Files {
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else { throw SystemError("mkdir", directory) }
        var files = Files(stdout: -1, stderr: -1, exitRecord: -1)
        do {
            files.stdout = try open(directory + "/stdout", O_TRUNC)
            files.stderr = try open(directory + "/stderr", O_TRUNC)
            files.exitRecord = try open(directory + "/exit", O_TRUNC)
        } catch {
            files.close()
            remove(directory: directory)
            throw error
        }
        return files
    }

    private func open(_ path: String, _ flags: Int32) throws(SystemError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0o600)
        guard fd >= 0 else { throw SystemError("open", path) }
        return fd
    }

    /// Removes a sandbox's files; what is already gone is fine.
    func remove(_ id: String) {
        remove(directory: directory(of: id))
    }

    func remove(directory: String) {
        for name in ["stdout", "stderr", "exit"] { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// The log open for reading with its size now: a sandbox still writing cannot make the answer endless.
    func openLog(_ id: String, stream: LogStream) -> (fd: Int32, size: UInt64)? {
        let path = stream == .stdout ? stdout(of: id) : stderr(of: id)
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        return (fd, UInt64(st.st_size))
    }
}

public enum LogStream: String, Sendable { case stdout, stderr }
