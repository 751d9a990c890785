/// The spec's `rlimits`: prlimit(1)'s names (RLIMIT_ without the prefix, lower case).
enum ResourceLimit {
    /// Index = RLIMIT_* number.
    static let names = [
        "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks",
        "sigpending", "msgqueue", "nice", "rtprio", "rttime",
    ]

    /// A sandbox never inherits the server's own raised file limit: it starts from the usual
    /// soft default of a login session or a service.
    static let defaults: [String: UInt64] = ["nofile": 1024]

    static func resource(_ name: String) -> UInt32? {
        names.firstIndex(of: name).map(UInt32.init)
    }
}
