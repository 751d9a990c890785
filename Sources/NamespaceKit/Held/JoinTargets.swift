#if canImport(Glibc)
import Glibc
#endif
import CNamespace

/// The namespaces a spec joins, open: the server resolves each target (a held name, an inode,
/// `sandbox:REF`, an nsfs path), opens it and checks its type with NS_GET_NSTYPE; the fds travel
/// to the spawner with the spec, and the sandbox's init enters them (Sources/nsd-init/join.c).
struct JoinTargets: ~Copyable {
    /// In the order of NamespaceType.allCases.
    let opened: [(type: NamespaceType, fd: Int32)]

    /// Joining a user namespace: the mappings it was made with, when the server knows them.
    var uidMappings: [SandboxSpec.IDMapping]?
    var gidMappings: [SandboxSpec.IDMapping]?

    deinit { for entry in opened { close(entry.fd) } }

    /// The inode of each joined namespace: the init enters them while the server records the
    /// sandbox, so /proc would still show where it came from.
    var inodes: [NamespaceType: UInt64] {
        var result: [NamespaceType: UInt64] = [:]
        for entry in opened {
            var st = stat()
            if fstat(entry.fd, &st) == 0 { result[entry.type] = UInt64(st.st_ino) }
        }
        return result
    }

    static func open(_ spec: SandboxSpec, held: HeldNamespaces, registry: Registry, inventory: Inventory) throws(SandboxError)
        -> JoinTargets
    {
        var opened: [(type: NamespaceType, fd: Int32)] = []
        var uidMappings: [SandboxSpec.IDMapping]?
        var gidMappings: [SandboxSpec.IDMapping]?
        do throws(SandboxError) {
            for type in spec.joinedTypes {
                let target = spec.join[type.rawValue]!
                func unknown(_ reason: String) -> SandboxError { .unknownJoinTarget(type: type, target: target, reason: reason) }
                var path: String
                var check: (() -> Bool)?
                if target.hasPrefix("sandbox:") {
                    let reference = String(target.dropFirst("sandbox:".count))
                    guard let sandbox = registry.find(reference) else {
                        throw unknown("no sandbox with id or name '\(reference)'")
                    }
                    guard sandbox.state == .running else {
                        throw unknown("sandbox '\(reference)' is not running; its namespaces may be gone")
                    }
                    // The sandbox's own time namespace is its init's children's.
                    let link = type == .time && sandbox.spec.has(.time) ? "time_for_children" : type.rawValue
                    path = "/proc/\(sandbox.pid)/ns/\(link)"
                    check = { (try? registry.withPidfd(sandbox.id) { pidfd, _ in nsd_pidfd_send_signal(pidfd, 0) == 0 }) == true }
                    if type == .user {
                        uidMappings = sandbox.spec.uidMappings
                        gidMappings = sandbox.spec.gidMappings
                    }
                } else if target.hasPrefix("/") {
                    path = target
                } else if let inode = UInt64(target) {
                    if let record = held.find(type, target), !record.gone {
                        path = record.path
                    } else {
                        guard let found = try? inventory.detail(type: type, inode: inode) else {
                            throw unknown("no \(type.rawValue) namespace with inode \(inode)")
                        }
                        path = found.namespace.path
                    }
                } else {
                    guard let record = held.find(type, target) else {
                        throw unknown("no held \(type.rawValue) namespace named '\(target)'")
                    }
                    guard !record.gone else { throw unknown("the held \(type.rawValue) namespace '\(target)' is gone") }
                    path = record.path
                    if type == .user {
                        uidMappings = record.uidMappings
                        gidMappings = record.gidMappings
                    }
                }
                let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw unknown("cannot open \(path): \(String(cString: strerror(errno)))") }
                opened.append((type, fd))
                guard nsd_ns_type(fd) == Int32(Spawner.flag(type)) else {
                    throw unknown("\(path) is not a \(type.rawValue) namespace")
                }
                if let check, !check() { throw unknown("the sandbox exited meanwhile") }
            }
        } catch {
            for entry in opened { close(entry.fd) }
            throw error
        }
        return JoinTargets(opened: opened, uidMappings: uidMappings, gidMappings: gidMappings)
    }
}

extension JoinTargets {
    /// A sandbox that joins a user namespace takes on its mappings; its ids must be mapped there.
    func adopt(into spec: inout SandboxSpec) throws(SandboxError) {
        guard spec.join[NamespaceType.user.rawValue] != nil else { return }
        spec.uidMappings = uidMappings
        spec.gidMappings = gidMappings
        do throws(SpecError) {
            try SpecRule.identity(spec.user, uidMappings: uidMappings, gidMappings: gidMappings)
        } catch {
            throw .invalidSpec(error)
        }
    }
}
