#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import Foundation
import Synchronization

/// The namespaces the server holds, by type and name, recorded in the registry's journal like
/// sandboxes. Knows nothing of sandboxes: SandboxManager+Held.swift ties the two together.
public final class HeldNamespaces: Sendable {
    struct Entry {
        var record: HeldNamespace
        /// A pid namespace's keeper; nil once gone.
        var keeper: PidFD?
    }

    struct State {
        var entries: [HeldKey: Entry] = [:]
        /// Names taken by creations in flight.
        var reserved = Set<HeldKey>()
    }

    let directory: HeldDirectory
    private let store: RegistryStore
    private let admission: Admission
    private let state = Mutex(State())

    private init(directory: HeldDirectory, store: RegistryStore, admission: Admission, entries: [HeldKey: Entry]) {
        self.directory = directory
        self.store = store
        self.admission = admission
        state.withLock { $0.entries = entries }
    }

    /// Re-adopts the recorded namespaces: alive when the bind mount is still there with the same
    /// inode (and, for pid, the keeper runs with the same start time); otherwise kept as gone.
    /// Binds below the directory that no record names (a crash between the bind and its journal
    /// entry) are undone.
    static func adopt(
        _ records: [HeldNamespace], stateDirectory: String, store: RegistryStore,
        admission: Admission
    ) -> (held: HeldNamespaces, notes: [String]) {
        let directory = HeldDirectory(stateDirectory: stateDirectory)
        var notes: [String] = []
        var entries: [HeldKey: Entry] = [:]
        let mounts = NsfsMounts.current().filter { $0.mountPoint.hasPrefix(directory.root + "/") }
        for var record in records {
            var keeper: PidFD?
            // Inode 0: journaled ahead of its bind, the inode never recorded; the mount tells it.
            if record.inode == 0, record.type != .pid,
                let mount = mounts.first(where: { $0.mountPoint == record.path && $0.type == record.type })
            {
                record.inode = mount.inode
            }
            var alive = mounts.contains { $0.mountPoint == record.path && $0.inode == record.inode }
            if alive, record.type == .pid {
                alive = false
                if let pid = record.keeperPid, ProcFS.processStat(pid: pid)?.startTime == record.keeperStartTime,
                    case let fd = nsd_pidfd_open(pid), fd >= 0
                {
                    keeper = PidFD(fd)
                    alive = true
                }
            }
            if !alive, !record.gone {
                record.gone = true
                notes.append(
                    "held \(record.type.rawValue) namespace '\(record.name)' is gone (host rebooted, or unmounted behind the server's back)"
                )
            }
            entries[record.key] = Entry(record: record, keeper: keeper)
        }
        let kept = Set(entries.values.filter { !$0.record.gone }.map(\.record.path))
        for mount in mounts where !kept.contains(mount.mountPoint) {
            if mount.type == .pid { Self.killKeepers(ofPidNamespace: mount.inode) }
            directory.release(mount.mountPoint)
            notes.append("released \(mount.mountPoint): held, but its creation was never recorded")
        }
        if !entries.isEmpty { try? directory.ensureMounted() }
        let live = entries.values.filter { !$0.record.gone }.count
        if live > 0 { notes.append("re-adopted \(live) held namespaces") }
        return (HeldNamespaces(directory: directory, store: store, admission: admission, entries: entries), notes)
    }

    private static func killKeepers(ofPidNamespace inode: UInt64) {
        for pid in ProcFS.pids() where ProcFS.processStat(pid: pid)?.comm == "nsd-keeper" {
            if ProcFS.namespaceInode(pid: pid, type: .pid) == inode { kill(pid, SIGKILL) }
        }
    }

    // MARK: read

    /// Every record (gone ones included), for the registry's snapshot.
    var records: [HeldNamespace] {
        state.withLock { $0.entries.values.map(\.record) }
    }

    public var all: [HeldNamespace] {
        records.sorted { ($0.type, $0.name) < ($1.type, $1.name) }
    }

    /// By name, or else by inode.
    public func find(_ type: NamespaceType, _ reference: String) -> HeldNamespace? {
        state.withLock { s in
            if let entry = s.entries[HeldKey(type: type, name: reference)] { return entry.record }
            guard let inode = UInt64(reference) else { return nil }
            return s.entries.values.first { $0.record.type == type && $0.record.inode == inode }?.record
        }
    }

    // MARK: create

    public func create(_ request: HeldNamespaceRequest.Resolved) throws(HeldNamespaceError) -> HeldNamespace {
        let key = HeldKey(type: request.type, name: request.name)
        try state.withLock { s throws(HeldNamespaceError) in
            guard s.entries[key] == nil, s.reserved.insert(key).inserted else { throw .nameTaken(request.type, request.name) }
        }
        defer { _ = state.withLock { $0.reserved.remove(key) } }
        do throws(SandboxError) { try admission.check([request.type]) } catch { throw .sandbox(error) }
        let target: String
        do throws(SystemError) {
            try directory.ensureMounted()
            target = try directory.prepareTarget(request.type, request.name)
        } catch {
            throw .sandbox(.storage(error))
        }
        var record = HeldNamespace(
            type: request.type, name: request.name, inode: 0, labels: request.labels, path: target,
            createdAt: Date().timeIntervalSince1970, keeperPid: nil,
            uidMappings: request.uidMappings, gidMappings: request.gidMappings,
            timeOffsets: request.timeOffsets)
        // Journaled ahead, so that the sync runs while the spawner makes the namespace; the inode
        // is read from the mount by an adoption that finds no later entry. A pid namespace's
        // record needs its keeper's pid, known only once it runs.
        let ahead = request.type == .pid ? nil : store.appendAhead(.hold(record))
        if let ahead { store.flushSoon(ahead) }
        var settled = ahead == nil
        func settle() {
            if !settled { store.settle() }
            settled = true
        }
        let keeper: Holder.Keeper?
        do throws(SandboxError) {
            keeper = try Holder.hold(request, target: target, detach: directory.root)
        } catch {
            unlink(target)
            if ahead != nil { store.flushSoon(store.append(.release(key))) }
            settle()
            if case .spawnFailed(_, let errno, _) = error, errno == .noSpace {
                let max = (try? Limits.readMax(request.type)) ?? 0
                throw .sandbox(
                    .namespaceLimit(type: request.type, max: max, used: admission.currentUse()[request.type] ?? 0))
            }
            throw .sandbox(error)
        }
        var st = stat()
        if stat(target, &st) == 0 { record.inode = UInt64(st.st_ino) }
        if let keeper {
            record.keeperPid = keeper.pid
            record.keeperStartTime = ProcFS.processStat(pid: keeper.pid)?.startTime
        }
        state.withLock { $0.entries[key] = Entry(record: record, keeper: keeper.map { PidFD($0.pidfd) }) }
        do throws(SystemError) {
            let complete = store.append(.hold(record))
            if let ahead {
                try store.waitDurable(ahead)
                settle()
                store.flushSoon(complete)
            } else {
                try store.waitDurable(complete)
            }
        } catch {
            // Nobody may be told about a namespace the registry could not record.
            let entry = state.withLock { $0.entries.removeValue(forKey: key) }
            undo(record, keeper: entry?.keeper)
            store.flushSoon(store.append(.release(key)))
            settle()
            throw .sandbox(.storage(error))
        }
        admission.created([request.type])
        return record
    }

    // MARK: delete

    /// Journals the removal, then unmounts and stops the keeper. Nothing changes when the
    /// journal cannot be written.
    func remove(_ record: HeldNamespace) throws(SystemError) {
        try store.waitDurable(store.append(.release(record.key)))
        let entry = state.withLock { $0.entries.removeValue(forKey: record.key) }
        undo(record, keeper: entry?.keeper)
    }

    private func undo(_ record: HeldNamespace, keeper: PidFD?) {
        directory.release(record.path)
        if let keeper { Holder.stop(keeperPidfd: keeper.rawValue) }
    }
}
