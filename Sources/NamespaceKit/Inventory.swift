import Foundation
import Synchronization

/// Reads every namespace on the host from procfs, like util-linux `lsns`, but in one pass
/// keyed by inode (lsns is quadratic in processes), touching only the types a query asks for.
public struct Inventory: Sendable {
    /// Names the sandbox that created a namespace, if any.
    public typealias SandboxLookup = @Sendable (UInt64) -> String?

    private let sandboxOf: SandboxLookup
    private let annotate: @Sendable () -> InventoryAnnotation

    public init(
        sandboxOf: @escaping SandboxLookup = { _ in nil },
        annotate: @escaping @Sendable () -> InventoryAnnotation = { InventoryAnnotation() }
    ) {
        self.sandboxOf = sandboxOf
        self.annotate = annotate
    }

    /// Namespaces matching `query`, sorted by inode.
    public func list(_ query: InventoryQuery = InventoryQuery()) -> [Namespace] {
        let census = Census.take(query)
        let annotation = annotate()
        var describer = Describer(sandboxOf: sandboxOf)
        var result = census.entries.keys.sorted().compactMap { inode -> Namespace? in
            if query.pid != nil, !census.pidMatches.contains(inode) { return nil }
            if query.uid != nil, !census.uidMatches.contains(inode) { return nil }
            var namespace = describer.describe(census.entries[inode]!, inode: inode)
            annotation.apply(&namespace)
            return namespace
        }
        if query.pid == nil, query.uid == nil {
            result += annotation.gone.filter { query.types.contains($0.type) && census.entries[$0.inode] == nil }
            result.sort { $0.inode < $1.inode }
        }
        return result
    }

    /// One namespace with every process in it.
    public func detail(type: NamespaceType, inode: UInt64) throws(InventoryError) -> NamespaceDetail {
        var census = Census()
        var members: [Int32] = []
        for pid in ProcFS.pids() {
            guard let found = ProcFS.namespaceInode(pid: pid, type: type), found == inode else { continue }
            census.count(inode: inode, type: type, pid: pid)
            members.append(pid)
        }
        census.addMounts(NsfsMounts.current().filter { $0.inode == inode }, types: [type])
        guard let entry = census.entries[inode], entry.type == type else {
            throw .noSuchNamespace(type, inode)
        }
        var describer = Describer(sandboxOf: sandboxOf)
        var namespace = describer.describe(entry, inode: inode)
        annotate().apply(&namespace)
        let processes = members.compactMap { pid -> NamespaceProcess? in
            guard let stat = ProcFS.processStat(pid: pid), let uid = ProcFS.uid(pid: pid) else { return nil }
            return NamespaceProcess(pid: pid, ppid: stat.ppid, command: ProcFS.command(pid: pid, comm: stat.comm), uid: uid)
        }
        return NamespaceDetail(namespace: namespace, processes: processes)
    }

    /// A namespace that only its bind mount keeps alive (one just held), described without a pass
    /// over /proc: nobody can have entered it yet.
    public func unoccupied(type: NamespaceType, inode: UInt64, mountPoint: String) -> Namespace {
        var describer = Describer(sandboxOf: sandboxOf)
        var namespace = describer.describe(Census.Entry(type: type, mountPoint: mountPoint), inode: inode)
        annotate().apply(&namespace)
        return namespace
    }

    /// The inode of each namespace a process is in; nil for a type the kernel lacks.
    public func namespaces(ofProcess pid: Int32) throws(InventoryError) -> [NamespaceType: UInt64?] {
        guard pid > 0, ProcFS.processStat(pid: pid) != nil else { throw .noSuchProcess(pid) }
        return ProcFS.allNamespaceInodes(pid: pid)
    }

    /// Live namespaces per type, for `/limits`.
    public func countByType() -> [NamespaceType: Set<UInt64>] {
        var result: [NamespaceType: Set<UInt64>] = [:]
        for (inode, entry) in Census.take(InventoryQuery()).entries { result[entry.type, default: []].insert(inode) }
        return result
    }
}

/// Fills in a namespace's process fields and relations. Namespaces often share their lowest
/// pid (a sandbox's six namespaces do), so each process is read once.
private struct Describer {
    struct ProcessDetails {
        var ppid: Int32?
        var command: String?
        var uid: UInt32?
        var user: String?
    }

    let sandboxOf: Inventory.SandboxLookup
    var users = UserNames()
    var processes: [Int32: ProcessDetails] = [:]

    init(sandboxOf: @escaping Inventory.SandboxLookup) {
        self.sandboxOf = sandboxOf
    }

    mutating func details(of pid: Int32) -> ProcessDetails {
        if let known = processes[pid] { return known }
        var details = ProcessDetails()
        if let stat = ProcFS.processStat(pid: pid) {
            details.ppid = stat.ppid
            details.command = ProcFS.command(pid: pid, comm: stat.comm)
        }
        if let uid = ProcFS.uid(pid: pid) {
            details.uid = uid
            details.user = users.name(of: uid)
        }
        processes[pid] = details
        return details
    }

    mutating func describe(_ entry: Census.Entry, inode: UInt64) -> Namespace {
        var namespace = Namespace(
            inode: inode, type: entry.type, nprocs: entry.nprocs, pid: nil, ppid: nil, command: nil,
            uid: nil, user: nil, path: entry.mountPoint ?? "", parent: nil, owner: nil, sandbox: sandboxOf(inode))
        if let pid = entry.lowestPid {
            let details = details(of: pid)
            namespace.pid = pid
            namespace.path = "/proc/\(pid)/ns/\(entry.type.rawValue)"
            namespace.ppid = details.ppid
            namespace.command = details.command
            namespace.uid = details.uid
            namespace.user = details.user
        }
        (namespace.parent, namespace.owner) = NamespaceRelations.of(path: namespace.path, type: entry.type)
        return namespace
    }
}

/// Tallies processes per namespace inode in one pass.
private struct Census {
    struct Entry {
        var type: NamespaceType
        var nprocs = 0
        var lowestPid: Int32?
        var mountPoint: String?
    }

    var entries: [UInt64: Entry] = [:]
    var pidMatches = Set<UInt64>()
    var uidMatches = Set<UInt64>()

    /// One pass over /proc: each process's namespace links of the asked types, then the bind
    /// mounts. Processes are split over the cores: the cost is all in the kernel's procfs.
    static func take(_ query: InventoryQuery) -> Census {
        let types = NamespaceType.allCases.filter(query.types.contains)
        let pids = ProcFS.pids()
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, pids.count / 256))
        let partials = Mutex<[Census]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var census = Census()
            var index = worker
            while index < pids.count {
                census.scan(pid: pids[index], types: types, query: query)
                index += workers
            }
            partials.withLock { $0.append(census) }
        }
        var census = partials.withLock { $0 }.reduce(into: Census()) { $0.merge($1) }
        census.addMounts(NsfsMounts.current(), types: query.types)
        return census
    }

    private mutating func scan(pid: Int32, types: [NamespaceType], query: InventoryQuery) {
        let uidMatches = query.uid.map { ProcFS.uid(pid: pid) == $0 } ?? false
        for (type, inode) in zip(types, ProcFS.namespaceInodes(pid: pid, types: types)) {
            guard let inode else { continue }
            count(inode: inode, type: type, pid: pid)
            if pid == query.pid { pidMatches.insert(inode) }
            if uidMatches { self.uidMatches.insert(inode) }
        }
    }

    private mutating func merge(_ other: Census) {
        for (inode, entry) in other.entries {
            guard var mine = entries[inode] else {
                entries[inode] = entry
                continue
            }
            mine.nprocs += entry.nprocs
            if let theirs = entry.lowestPid, mine.lowestPid.map({ theirs < $0 }) ?? true { mine.lowestPid = theirs }
            entries[inode] = mine
        }
        pidMatches.formUnion(other.pidMatches)
        uidMatches.formUnion(other.uidMatches)
    }

    mutating func count(inode: UInt64, type: NamespaceType, pid: Int32) {
        entries[inode, default: Entry(type: type)].nprocs += 1
        if entries[inode]!.lowestPid.map({ pid < $0 }) ?? true { entries[inode]!.lowestPid = pid }
    }

    /// Namespaces that only a bind mount keeps alive are listed with no process.
    mutating func addMounts(_ mounts: [NsfsMount], types: Set<NamespaceType>) {
        for mount in mounts where types.contains(mount.type) && entries[mount.inode] == nil {
            entries[mount.inode] = Entry(type: mount.type, mountPoint: mount.mountPoint)
        }
    }
}
