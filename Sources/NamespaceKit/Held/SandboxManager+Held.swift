import Foundation
import Synchronization

/// Held namespaces next to sandboxes: who is in one, deleting one (and, forced, the sandboxes in
/// it), and what the inventory shows of them.
extension SandboxManager {
    /// Ids of the running sandboxes in this namespace.
    public func sandboxes(in type: NamespaceType, inode: UInt64) -> [String] {
        registry.sandboxes.filter { $0.state == .running && ($0.namespaces[type] ?? nil) == inode }.map(\.id)
    }

    /// DELETE of a held namespace: 409 while running sandboxes are in it, unless `force`, which
    /// deletes them first. `completion` gets the failure of recording the removal, if any.
    public func deleteHeld(
        _ type: NamespaceType, _ reference: String, force: Bool,
        completion: @escaping @Sendable (HeldNamespaceError?) -> Void
    ) throws(HeldNamespaceError) {
        guard let record = held.find(type, reference) else {
            if let inode = UInt64(reference), (try? inventory.detail(type: type, inode: inode)) != nil {
                throw .notHeld(type, inode)
            }
            throw .notFound(type, reference)
        }
        let users = record.gone ? [] : sandboxes(in: type, inode: record.inode)
        if !users.isEmpty, !force { throw .inUse(type, record.name, sandboxes: users) }
        let group = DispatchGroup()
        let failure = Mutex<SystemError?>(nil)
        for id in users {
            group.enter()
            do throws(SandboxError) {
                try delete(id) { error in
                    if let error { failure.withLock { $0 = error } }
                    group.leave()
                }
            } catch {
                group.leave()  // gone meanwhile
            }
        }
        group.notify(queue: Self.timers) { [held] in
            if let error = failure.withLock({ $0 }) { return completion(.sandbox(.storage(error))) }
            do throws(SystemError) { try held.remove(record) } catch { return completion(.sandbox(.storage(error))) }
            completion(nil)
        }
    }

    /// Held namespaces' names, labels and paths, the sandboxes that joined a namespace, and the
    /// held namespaces that are gone.
    @Sendable func heldAnnotation() -> InventoryAnnotation {
        let records = held.records
        var byInode: [UInt64: HeldNamespace] = [:]
        for record in records where !record.gone { byInode[record.inode] = record }
        var joined: [UInt64: [String]] = [:]
        for sandbox in registry.sandboxes where sandbox.state == .running {
            for type in sandbox.spec.joinedTypes {
                if let inode = sandbox.namespaces[type] ?? nil { joined[inode, default: []].append(sandbox.id) }
            }
        }
        let gone = records.filter(\.gone).map { record in
            Namespace(
                inode: record.inode, type: record.type, nprocs: 0, pid: nil, ppid: nil, command: nil, uid: nil,
                user: nil, path: record.path, parent: nil, owner: nil, sandbox: nil, held: true, name: record.name,
                labels: record.labels, joinedBy: [], gone: true)
        }
        let heldByInode = byInode
        let joinedByInode = joined
        return InventoryAnnotation(
            apply: { namespace in
                if let record = heldByInode[namespace.inode], record.type == namespace.type {
                    namespace.held = true
                    namespace.name = record.name
                    namespace.labels = record.labels
                    namespace.path = record.path
                }
                namespace.joinedBy = joinedByInode[namespace.inode] ?? []
            }, gone: gone)
    }
}
