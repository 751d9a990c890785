#if canImport(Glibc)
import Glibc
#endif

/// Thin, allocation-light readers for the procfs files the inventory needs.
/// A process can vanish between any two calls; every reader returns nil rather than failing.
enum ProcFS {
    /// Every numeric entry of `/proc`, in ascending order.
    static func pids() -> [Int32] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var result: [Int32] = []
        result.reserveCapacity(1024)
        while let entry = readdir(dir) {
            if let pid = Int32(exactly: numericName(entry) ?? -1), pid > 0 { result.append(pid) }
        }
        result.sort()
        return result
    }

    /// A directory entry's name as a number, or nil. The name is read in place: glibc's entries
    /// are only `d_reclen` bytes long, so copying the whole `d_name` array can run off the buffer.
    static func numericName(_ entry: UnsafeMutablePointer<dirent>) -> Int64? {
        withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: UInt8.self, capacity: 256) { name -> Int64? in
                var value: Int64 = 0
                var index = 0
                while name[index] != 0 {
                    guard name[index] >= 48, name[index] <= 57, index < 19 else { return nil }
                    value = value * 10 + Int64(name[index] - 48)
                    index += 1
                }
                return index > 0 ? value : nil
            }
        }
    }

    /// Inode of `/proc/PID/ns/TYPE`, or nil when the process is gone or not ours to look at.
    static func namespaceInode(pid: Int32, type: NamespaceType) -> UInt64? {
        namespaceInode(pid: pid, link: type.rawValue)
    }

    /// `link` is a name in /proc/PID/ns, such as `time_for_children`.
    static func namespaceInode(pid: Int32, link: String) -> UInt64? {
        let fd = open("/proc/\(pid)/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return namespaceInode(directory: fd, link: link)
    }

    /// Reads the link's text (`pid:[4026531836]`) rather than stat()ing it: stat makes nsfs build a
    /// dentry and inode for every call, readlink only formats the number.
    static func namespaceInode(directory: Int32, link: String) -> UInt64? {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw -> UInt64? in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let count = readlinkat(directory, link, base, raw.count)
            guard count > 0 else { return nil }
            var value: UInt64 = 0
            var inDigits = false
            for byte in raw.prefix(count) {
                if byte == UInt8(ascii: "[") {
                    inDigits = true
                    continue
                }
                if byte == UInt8(ascii: "]") { return inDigits ? value : nil }
                if inDigits {
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value &* 10 &+ UInt64(byte - 48)
                }
            }
            return nil
        }
    }

    /// Every type's inode for one process (nil where unreadable), opening its ns directory once.
    static func allNamespaceInodes(pid: Int32) -> [NamespaceType: UInt64?] {
        let inodes = namespaceInodes(pid: pid, types: NamespaceType.allCases)
        var result: [NamespaceType: UInt64?] = [:]
        for (type, inode) in zip(NamespaceType.allCases, inodes) { result[type] = .some(inode) }
        return result
    }

    /// The inodes of several namespace types of one process, opening its ns directory once.
    static func namespaceInodes(pid: Int32, types: [NamespaceType]) -> [UInt64?] {
        let fd = open("/proc/\(pid)/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return Array(repeating: nil, count: types.count) }
        defer { close(fd) }
        return types.map { namespaceInode(directory: fd, link: $0.rawValue) }
    }

    /// Owner uid of the process, as `lsns` reports it (the owner of `/proc/PID`).
    static func uid(pid: Int32) -> UInt32? {
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, "/proc/\(pid)", &st, 0) == 0 else { return nil }
        return st.st_uid
    }

    /// Reads a small procfs file whole; nil when it cannot be opened.
    static func read(_ path: String, limit: Int = 65536) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && Glibc.errno == EINTR { continue }
            guard n > 0 else { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Fields of `/proc/PID/stat` the API needs: the command name, the parent and the start time.
    struct Stat: Sendable {
        var comm: String
        var ppid: Int32
        /// Clock ticks after boot (field 22): with the pid, it tells a process from a recycled pid.
        var startTime: UInt64
    }

    static func processStat(pid: Int32) -> Stat? {
        guard let bytes = read("/proc/\(pid)/stat", limit: 4096),
            let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open
        else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // After ")": state ppid pgrp ... ; field 3 is state, 4 ppid, 22 starttime.
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard rest.count >= 20,
            let ppid = Int32(String(decoding: rest[1], as: UTF8.self)),
            let start = UInt64(String(decoding: rest[19], as: UTF8.self))
        else { return nil }
        return Stat(comm: comm, ppid: ppid, startTime: start)
    }

    /// The command line as `lsns` shows it: arguments joined by spaces, or the command name
    /// for kernel threads, whose cmdline is empty.
    static func command(pid: Int32, comm: String) -> String {
        guard var bytes = read("/proc/\(pid)/cmdline"), !bytes.isEmpty else { return comm }
        while bytes.last == 0 { bytes.removeLast() }
        for i in bytes.indices where bytes[i] == 0 { bytes[i] = UInt8(ascii: " ") }
        return bytes.isEmpty ? comm : String(decoding: bytes, as: UTF8.self)
    }
}
