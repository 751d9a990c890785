#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation

/// Start-up decisions that read the environment: state directory, file limit.
enum ServerSettings {
    /// Where the state directory is; the sandbox manager creates, checks and locks it.
    static func stateDirectory(_ configured: String?) -> String {
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
        return path
    }

    /// Every sandbox starts through `nsd-init` next to this executable: without it the server could
    /// only fail every create, so it does not start.
    static func requireSpawner() throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let spawner = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nsd-init").path
        guard access(spawner, X_OK) == 0 else {
            throw ValidationError(
                "\(spawner) is missing: namespaced starts every sandbox through it. Build both with `make release` (or `swift build -c release --product nsd-init`) and keep them side by side."
            )
        }
    }

    /// Each connection is an fd; the soft limit (often 1024) would cap the connection limit.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
