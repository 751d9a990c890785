#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// Files of the state directory: `lock`, `sandboxes/<id>/{stdout,stderr,exit}`, and `spare/<n>`,
/// emptied directories of deleted sandboxes kept for the next ones. A sandbox may be able to
/// write its own directory, so every file in it is reached through directory descriptors with
/// O_NOFOLLOW and written, emptied or reused only when `FileTrust` accepts it.
public struct StateDirectory: Sendable {
    public let root: String
    private let handles: Handles
    /// Why recycle: a new inode costs 50-300 µs on ext4 under create/delete churn (without a
    /// journal, ext4 scans past every recently deleted inode), four per sandbox; a rename and three
    /// opens of existing empty files cost ~25 µs (bench/run.sh measures the create path).
    private let spares = SpareDirectories()

    /// The open directories and the lock, for the server's lifetime.
    private final class Handles: Sendable {
        let root: Directory
        let sandboxes: Directory
        let spare: Directory
        let lock: StateDirectoryLock

        init(root: consuming Directory, sandboxes: consuming Directory, spare: consuming Directory, lock: StateDirectoryLock) {
            self.root = root
            self.sandboxes = sandboxes
            self.spare = spare
            self.lock = lock
        }
    }

    static let logNames = ["stdout", "stderr", "exit"]

    /// Makes the directory if it is missing, checks that only the server's user can change it,
    /// takes its lock, and creates the tree, mode 0700: logs and the registry are root's business
    /// only. Spare directories of an earlier run are removed: the pool starts empty.
    public static func open(_ given: String) throws(StateDirectoryRefusal) -> StateDirectory {
        let path = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        try StateDirectoryRefusal.create(path)
        // Canonical: the kernel reports open files that way (orphans are found by their exit records).
        guard let root = Syscall.realPath(path) else { throw .init(path, "cannot be resolved", errno: Errno(rawValue: errno)) }
        let parentPath = root == "/" ? "/" : String(root[..<root.lastIndex(of: "/")!]).ifEmpty("/")
        let parent: Directory
        let directory: Directory
        do { parent = try Directory.open(parentPath) } catch { throw .init(parentPath, "cannot be opened", errno: error) }
        do { directory = try Directory.open(root) } catch { throw .init(root, "cannot be opened", errno: error) }
        let server = Syscall.effectiveUser
        if let problem = try? parent.trust.directoryProblem(server: server, isParent: true) {
            throw .init(parentPath, "(the state directory's parent) \(problem)")
        }
        if let problem = try? directory.trust.directoryProblem(server: server, isParent: false) {
            throw .init(root, problem)
        }
        let lock: StateDirectoryLock
        do throws(StateDirectoryLock.Refusal) { lock = try StateDirectoryLock.acquire(in: directory) } catch {
            switch error {
            case .held(let holder):
                throw .init(root, "is in use by another namespaced (\(holder), holding \(root)/\(StateDirectoryLock.name))")
            case .failed(let step, let errno):
                throw .init(root, "cannot be locked: \(step)", errno: errno)
            }
        }
        let sandboxes = try subdirectory("sandboxes", of: directory)
        let spare = try subdirectory("spare", of: directory)
        for name in spare.entries { spare.removeTree(name) }
        return StateDirectory(root: root, handles: Handles(root: directory, sandboxes: sandboxes, spare: spare, lock: lock))
    }

    private static func subdirectory(_ name: String, of directory: borrowing Directory) throws(StateDirectoryRefusal) -> Directory
    {
        do throws(Errno) {
            try directory.makeSubdirectory(name)
            return try directory.subdirectory(name)
        } catch {
            throw .init(
                directory.path + "/" + name, "must be a directory of the server's user writable by nobody else", errno: error)
        }
    }

    private init(root: String, handles: Handles) {
        self.root = root
        self.handles = handles
    }

    var sandboxesRoot: String { root + "/sandboxes" }
    func directory(of id: String) -> String { "\(sandboxesRoot)/\(id)" }

    /// The files a new sandbox writes to, opened by the server before the sandbox drops privileges.
    struct Files: Sendable {
        let stdoutFile: FileDescriptor
        let stderrFile: FileDescriptor
        let exitRecordFile: FileDescriptor

        /// The raw numbers, for the spawn configuration.
        var stdout: Int32 { stdoutFile.rawValue }
        var stderr: Int32 { stderrFile.rawValue }
        var exitRecord: Int32 { exitRecordFile.rawValue }

        func close() {
            for file in [stdoutFile, stderrFile, exitRecordFile] { try? file.close() }
        }
    }

    /// The sandbox's directory, a recycled one when there is one, with its three files open.
    func create(_ id: String) throws(SystemError) -> Files {
        if let spare = spares.take() {
            do throws(Errno) { try Syscall.renameAt(handles.spare.fd, spare, handles.sandboxes.fd, id) } catch {
                handles.spare.removeTree(spare)
            }
        }
        let path = directory(of: id)
        let directory: Directory
        do throws(Errno) {
            try handles.sandboxes.makeSubdirectory(id)
            directory = try handles.sandboxes.subdirectory(id)
        } catch {
            handles.sandboxes.removeTree(id)
            throw SystemError("mkdirat", path, errno: error)
        }
        var opened: [FileDescriptor] = []
        do throws(SystemError) {
            for name in Self.logNames {
                do throws(Errno) { opened.append(try directory.openEmpty(name)) } catch {
                    throw SystemError("openat", path + "/" + name, errno: error)
                }
            }
        } catch {
            for file in opened { try? file.close() }
            handles.sandboxes.removeTree(id)
            throw error
        }
        return Files(stdoutFile: opened[0], stderrFile: opened[1], exitRecordFile: opened[2])
    }

    /// Removes a sandbox's files; what is already gone is fine. With `recycle`, up to
    /// `SpareDirectories.limit` directories are emptied (truncated: the logs are gone either way)
    /// and kept for reuse. Only when no process can still hold the files: a sandbox with its own
    /// pid namespace, whose every process the kernel killed before its init could be reaped.
    /// Anything else may leave a straggler with the log open, and its output must never land in
    /// another sandbox's log: those files are unlinked. A directory holding anything but its
    /// three trusted files is removed, never recycled.
    func remove(_ id: String, recycle: Bool) {
        guard recycle, emptyForReuse(id), let spare = spares.reserve() else { return handles.sandboxes.removeTree(id) }
        do throws(Errno) {
            try Syscall.renameAt(handles.sandboxes.fd, id, handles.spare.fd, spare)
            spares.put(spare)
        } catch {
            spares.cancel()
            handles.sandboxes.removeTree(id)
        }
    }

    /// Truncates the three files of a sandbox's directory, if that directory holds exactly them
    /// and each passes `FileTrust`.
    private func emptyForReuse(_ id: String) -> Bool {
        guard let directory = try? handles.sandboxes.subdirectory(id),
            directory.entries.sorted() == Self.logNames.sorted()
        else { return false }
        for name in Self.logNames {
            guard let file = directory.openTrusted(name, O_WRONLY) else { return false }
            defer { try? file.close() }
            guard (try? Syscall.truncate(file, to: 0)) != nil else { return false }
        }
        return true
    }

    /// Every sandbox directory's name.
    var sandboxDirectories: [String] { handles.sandboxes.entries }

    /// A file of a sandbox's directory open for reading, if `FileTrust` accepts it.
    private func openForReading(_ id: String, _ name: String) -> FileDescriptor? {
        guard let directory = try? handles.sandboxes.subdirectory(id) else { return nil }
        return directory.openTrusted(name, O_RDONLY)
    }

    /// The log open for reading with its size now: a sandbox still writing cannot make the answer
    /// endless. Nil when there is no log, or what is there is not a file the server wrote.
    func openLog(_ id: String, stream: LogStream) -> (file: FileDescriptor, size: UInt64)? {
        guard let file = openForReading(id, stream.rawValue) else { return nil }
        guard let facts = try? Syscall.stat(file) else {
            try? file.close()
            return nil
        }
        return (file, UInt64(facts.st_size))
    }

    /// The sandbox's exit record, if its init wrote a whole one.
    func exitRecord(of id: String) -> ExitRecord? {
        guard let file = openForReading(id, "exit") else { return nil }
        defer { try? file.close() }
        var buffer = [UInt8](repeating: 0, count: 256)
        guard let count = try? buffer.withUnsafeMutableBytes({ try file.read(fromAbsoluteOffset: 0, into: $0) }) else {
            return nil
        }
        return ExitRecord.parse(Array(buffer.prefix(count)))
    }
}

public enum LogStream: String, Sendable { case stdout, stderr }

/// Why the server will not use a state directory: the path and what is wrong with it.
public struct StateDirectoryRefusal: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public let errno: Errno?

    init(_ path: String, _ problem: String, errno: Errno? = nil) {
        self.path = path
        self.problem = problem
        self.errno = errno
    }

    public var description: String {
        "state directory \(path): \(problem)" + (errno.map { ": \($0) (errno \($0.rawValue))" } ?? "")
    }

    /// Creates a missing state directory and any missing parent, with modes set explicitly
    /// (0755 for parents, 0700 for the directory): whatever the umask, what the server made
    /// passes its own checks.
    static func create(_ path: String) throws(StateDirectoryRefusal) {
        guard path.hasPrefix("/") else { throw .init(path, "must be an absolute path") }
        var missing: [String] = []
        var current = path
        while current.count > 1, current.hasSuffix("/") { current.removeLast() }
        while current != "/", !current.isEmpty, (try? Syscall.lstat(current)) == nil {
            missing.append(current)
            current = String(current[..<current.lastIndex(of: "/")!])
        }
        for (index, directory) in missing.reversed().enumerated() {
            let mode: mode_t = index == missing.count - 1 ? 0o700 : 0o755
            do throws(Errno) {
                // Made by someone else meanwhile: checked like any existing directory, not changed.
                do { try Syscall.mkdir(directory, mode: mode) } catch .fileExists { continue }
                let made = try Syscall.open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { try? made.close() }
                try Syscall.chmod(made, mode)
            } catch {
                throw .init(directory, "cannot be created", errno: error)
            }
        }
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
