#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Free space kept in the state directory's file system: below it creates are refused before
/// anything starts, so the sandboxes already running can still journal their exits and write
/// their logs, and one sandbox cannot stop the others from being recorded.
public struct StorageReserve: Sendable {
    /// `--storage-reserve`; at most a twentieth of the file system, so a small one stays usable.
    public var bytes: Int64

    public static let defaultBytes: Int64 = 64 << 20

    public init(bytes: Int64 = defaultBytes) {
        self.bytes = bytes
    }

    func check(_ directory: String) throws(SystemError) {
        guard bytes > 0 else { return }
        var facts = statvfs()
        guard statvfs(directory, &facts) == 0 else { throw SystemError("statvfs", directory) }
        let unit = Int64(facts.f_frsize)
        let free = Int64(facts.f_bavail) * unit
        let reserve = min(bytes, Int64(facts.f_blocks) * unit / 20)
        if free < reserve {
            throw SystemError("statvfs", "\(directory): \(free) bytes free, below the reserve of \(reserve)", errno: .noSpace)
        }
    }
}
