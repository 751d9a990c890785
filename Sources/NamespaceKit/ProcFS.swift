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
            let pid: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                var value: Int32 = 0
                var digits = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value &* 10 &+ Int32(byte - 48)
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            if let pid { result.append(pid) }
        }
        result.sort()
        return result
    }

    /// Inode of `/proc/PID/ns/TYPE`, or nil when the process is gone or not ours to look at.
    static func namespaceInode(pid: Int32, type: NamespaceType) -> UInt64? {
        namespaceInode(pid: pid, link: type.rawValue)
    }

    /// `link` is a name in /proc/PID/ns, such as `time_for_children`.
    static func namespaceInode(pid: Int32, link: String) -> UInt64? {
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, "/proc/\(pid)/ns/\(link)", &st, 0) == 0 else { return nil }
        return UInt64(st.st_ino)
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
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // After ")": state ppid pgrp ... ; field 3 is state, 4 ppid, 22 starttime.
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard rest.count >= 20,
              let ppid = Int32(String(decoding: rest[1], as: UTF8.self)),
              let start = UInt64(String(decoding: rest[19], as: UTF8.self)) else { return nil }
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
