#if canImport(Glibc)
import Glibc
#endif
import CNamespace

extension SandboxManager {
    /// The network namespace of a running sandbox's init, open; nil once the sandbox has exited
    /// (its links went with its namespace).
    public func networkNamespace(of reference: String) throws(SandboxError) -> NetworkNamespace? {
        let opened: Result<NetworkNamespace?, SystemError>
        do throws(SandboxError) {
            opened = try registry.withPidfd(reference) { pidfd, sandbox in
                let namespace: NetworkNamespace?
                do throws(SystemError) { namespace = try NetworkNamespace(path: "/proc/\(sandbox.pid)/ns/net") } catch {
                    return .failure(error)
                }
                // Alive (or not yet reaped) after the open: the pid was still the init's, not a
                // recycled one, when /proc resolved it.
                return .success(nsd_pidfd_send_signal(pidfd, 0) == 0 ? namespace : nil)
            }
        } catch .notRunning {
            return nil
        }
        switch opened {
        case .success(let namespace): return namespace
        case .failure(let error): throw .internalFailure(error.description)
        }
    }
}
