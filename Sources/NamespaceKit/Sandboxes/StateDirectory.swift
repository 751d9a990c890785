#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Files of the state directory: `sandboxes/<id>/{stdout,stderr,exit}`, and `spare/<n>`, emptied
/// directories of deleted sandboxes kept for the next ones.
public struct StateDirectory: Sendable {
    public let root: String
    /// Why recycle: a new inode costs 50-300 µs on ext4 under create/delete churn (without a
    /// journal, ext4 scans past every recently deleted inode), four per sandbox; a rename and three
    /// opens of existing empty files cost ~25 µs (bench/run.sh measures the create path).
    private let spares: SpareDirectories

    /// `root` is resolved to its canonical path: the kernel reports open files that way.
    public init(root: String) {
        self.root = root.withCString { path in
            guard let resolved = realpath(path, nil) else { return root }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        spares = SpareDirectories(root: self.root + "/spare")
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
    /// Spare directories of an earlier run are removed: the pool starts empty.
    func prepare() throws(SystemError) {
        for path in [root, sandboxesRoot, spares.root] {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw SystemError("mkdir", path) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: spares.root)) ?? [] {
            remove(directory: spares.root + "/" + name)
        }
    }

    /// The sandbox's directory, a recycled one when there is one, with its three files open.
    func create(_ id: String) throws(SystemError) -> Files {
        let directory = directory(of: id)
        if let spare = spares.take() {
            if rename(spare, directory) != 0 { remove(directory: spare) }
        }
        return try create(in: directory)
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

    /// Removes a sandbox's files; what is already gone is fine. With `recycle`, up to
    /// `SpareDirectories.limit` directories are emptied (truncated: the logs are gone either way)
    /// and kept for reuse. Only when no process can still hold the files: a sandbox with its own
    /// pid namespace, whose every process the kernel killed before its init could be reaped.
    /// Anything else may leave a straggler with the log open, and its output must never land in
    /// another sandbox's log: those files are unlinked.
    func remove(_ id: String, recycle: Bool) {
        let directory = directory(of: id)
        guard recycle, let spare = spares.reserve() else { return remove(directory: directory) }
        for name in ["stdout", "stderr", "exit"] { truncate(directory + "/" + name, 0) }
        if rename(directory, spare) == 0 {
            spares.put(spare)
        } else {
            spares.cancel()
            remove(directory: directory)
        }
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
