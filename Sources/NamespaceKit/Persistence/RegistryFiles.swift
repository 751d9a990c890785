#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The registry's files in the state directory:
/// `snapshot.<G>.json` (the whole registry at generation G; the newest two are kept) and
/// `journal.<G>.log` (one JSON change per line, appended after snapshot G).
struct RegistryFiles: Sendable {
    let directory: String

    func snapshot(_ generation: UInt64) -> String { "\(directory)/snapshot.\(generation).json" }
    func journal(_ generation: UInt64) -> String { "\(directory)/journal.\(generation).log" }

    /// Generations present on disk for a kind of file, ascending.
    func generations(_ kind: String, suffix: String) -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> UInt64? in
            guard name.hasPrefix(kind + "."), name.hasSuffix(suffix) else { return nil }
            return UInt64(name.dropFirst(kind.count + 1).dropLast(suffix.count))
        }.sorted()
    }

    var snapshotGenerations: [UInt64] { generations("snapshot", suffix: ".json") }
    var journalGenerations: [UInt64] { generations("journal", suffix: ".log") }

    /// Writes a file so that a crash leaves either the old state or the new one, never a mix:
    /// temp file, fsync, rename, fsync of the directory.
    func writeAtomically(_ data: Data, to path: String, sync: Bool) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", temporary) }
        do throws(SystemError) {
            try Self.writeAll(fd, Array(data), path: temporary)
            if sync, fsync(fd) != 0 { throw SystemError("fsync", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = SystemError("rename", temporary)
            unlink(temporary)
            throw error
        }
        if sync { try syncDirectory() }
    }

    func syncDirectory() throws(SystemError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("fsync", directory) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SystemError("write", path) }
            offset += n
        }
    }

    /// Sets a damaged file aside under a new name; it is evidence, never deleted.
    func setAside(_ path: String) -> String {
        let aside = "\(path).bad-\(Int(Date().timeIntervalSince1970))"
        rename(path, aside)
        return aside
    }
}
