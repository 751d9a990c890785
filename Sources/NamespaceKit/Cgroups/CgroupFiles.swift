#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// Reads and writes of cgroup interface files: small, one value per call, never through links.
enum CgroupFiles {
    /// The whole (small) file, or nil when it cannot be read.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var text: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            text += buffer.prefix(n)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// One write of the whole value, as the kernel wants it.
    static func write(_ path: String, _ value: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw SystemError("open", path) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        var n: Int
        repeat { n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } } while n < 0 && errno == EINTR
        guard n == bytes.count else { throw SystemError("write \(value)", path, errno: Errno(rawValue: n < 0 ? errno : EIO)) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// A file holding one number; "max" (no limit) and anything unparsable read as nil.
    static func number(_ path: String) -> Int64? {
        read(path).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `key value` lines (memory.events, cpu.stat, memory.oom_control): the value of `key`.
    static func keyed(_ path: String, _ key: String) -> Int64? {
        guard let text = read(path) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int64(parts[1]) }
        }
        return nil
    }

    /// The pids in a cgroup.procs file.
    static func pids(_ path: String) -> [Int32] {
        (read(path) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// mkdir; an existing directory is fine.
    static func makeDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw SystemError("mkdir", path) }
    }

    /// mkdir -p below an existing directory.
    static func makeDirectories(_ path: String) throws(SystemError) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if access(current, F_OK) != 0 { try makeDirectory(current) }
        }
    }
}
