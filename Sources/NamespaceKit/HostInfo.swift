#if canImport(Glibc)
import Glibc
#endif

public enum HostInfo {
    /// `uname -r`.
    public static var kernelRelease: String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        return withUnsafeBytes(of: name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
