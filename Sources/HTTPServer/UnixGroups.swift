#if canImport(Glibc)
import Glibc
#endif

/// Group lookups for unix-socket peers.
public enum UnixGroups {
    /// The supplementary groups of a live process (its `Groups:` line in /proc), empty if it is gone.
    static func supplementary(of pid: Int32) -> [UInt32] {
        guard pid > 0, let file = fopen("/proc/\(pid)/status", "re") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("Groups:") else { continue }
            return text.dropFirst(7).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt32($0) }
        }
        return []
    }

    /// The gid of a group name (or a number), nil if unknown.
    public static func gid(of name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }
}
