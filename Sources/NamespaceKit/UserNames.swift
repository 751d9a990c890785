#if canImport(Glibc)
import Glibc
#endif

/// Resolves uids to login names once per inventory scan.
struct UserNames {
    private var cache: [UInt32: String?] = [:]

    mutating func name(of uid: UInt32) -> String? {
        if let cached = cache[uid] { return cached }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        let name = (rc == 0 && result != nil) ? String(cString: entry.pw_name) : nil
        cache[uid] = name
        return name
    }
}
