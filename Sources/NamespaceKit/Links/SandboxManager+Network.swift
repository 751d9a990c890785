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

/// Whose a network namespace that links may be made in is.
public enum NetworkNamespaceOwner: Sendable, Equatable {
    /// Held by the server under this name.
    case held(name: String)
    /// Made by this sandbox.
    case sandbox(id: String, inode: UInt64)
}

extension SandboxManager {
    /// A network namespace the server holds (by name or inode) or one a sandbox made (by inode),
    /// open; its namespace is nil once it is gone. Nil when it is neither.
    public func networkNamespace(reference: String) throws(SandboxError) -> (
        owner: NetworkNamespaceOwner, namespace: NetworkNamespace?
    )? {
        if let record = held.find(.net, reference) {
            let owner = NetworkNamespaceOwner.held(name: record.name)
            guard !record.gone else { return (owner, nil) }
            let namespace: NetworkNamespace?
            do throws(SystemError) { namespace = try NetworkNamespace(path: record.path) } catch {
                throw .internalFailure(error.description)
            }
            // Another namespace bound there behind the server's back is not the one it holds.
            return (owner, namespace?.inode == record.inode ? namespace : nil)
        }
        guard let inode = UInt64(reference), let id = registry.owner(ofNamespace: inode),
            let sandbox = registry.find(id), sandbox.namespaces[.net] == inode
        else { return nil }
        let namespace = try networkNamespace(of: id)
        return (.sandbox(id: id, inode: inode), namespace?.inode == inode ? namespace : nil)
    }
}
