#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

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
        let file: FileDescriptor
        do throws(Errno) { file = try Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW) } catch {
            throw SystemError("open", temporary, errno: error)
        }
        do throws(SystemError) {
            try Self.writeAll(file, data, path: temporary)
            if sync {
                do throws(Errno) { try Syscall.sync(file) } catch { throw SystemError("fsync", temporary, errno: error) }
            }
        } catch {
            try? file.close()
            unlink(temporary)
            throw error
        }
        try? file.close()
        guard rename(temporary, path) == 0 else {
            let error = SystemError("rename", temporary)
            unlink(temporary)
            throw error
        }
        if sync { try syncDirectory() }
    }

    func syncDirectory() throws(SystemError) {
        do throws(Errno) {
            let fd = try Syscall.open(directory, O_RDONLY | O_DIRECTORY)
            defer { try? fd.close() }
            try Syscall.sync(fd)
        } catch {
            throw SystemError("fsync", directory, errno: error)
        }
    }

    /// swift-system's `writeAll`, its error as a `SystemError` naming the file.
    static func writeAll<Bytes: Sequence<UInt8>>(_ file: FileDescriptor, _ bytes: Bytes, path: String) throws(SystemError) {
        do { _ = try file.writeAll(bytes) } catch {
            throw SystemError("write", path, errno: (error as? Errno) ?? .ioError)
        }
    }

    /// Sets a damaged file aside under a new name; it is evidence, never deleted.
    func setAside(_ path: String) -> String {
        let aside = "\(path).bad-\(Int(Date().timeIntervalSince1970))"
        rename(path, aside)
        return aside
    }
}
