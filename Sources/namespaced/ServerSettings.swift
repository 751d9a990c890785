#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation

/// Start-up decisions that read the environment: state directory, file limit.
enum ServerSettings {
    /// Creates the state directory mode 0700: it will hold sandbox logs and the registry.
    static func prepareStateDirectory(_ configured: String?) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let path: String
        if let configured {
            path = configured
        } else if geteuid() == 0 {
            path = "/var/lib/namespaced"
        } else if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            path = xdg + "/namespaced"
        } else {
            path = (environment["HOME"] ?? "/tmp") + "/.local/state/namespaced"
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ValidationError("cannot create the state directory \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// Each connection is an fd; the soft limit (often 1024) would cap the connection limit.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
