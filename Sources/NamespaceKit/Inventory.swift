/// Reads every namespace on the host from procfs, like util-linux `lsns`, but in one pass
/// keyed by inode (lsns is quadratic in processes), touching only the types a query asks for.
public struct Inventory: Sendable {
    /// Names the sandbox that created a namespace, if any.
    public typealias SandboxLookup = @Sendable (UInt64) -> String?

    private let sandboxOf: SandboxLookup

    public init(sandboxOf: @escaping SandboxLookup = { _ in nil }) {
        self.sandboxOf = sandboxOf
    }

    /// Namespaces matching `query`, sorted by inode.
    public func list(_ query: InventoryQuery = InventoryQuery()) -> [Namespace] {
        let census = Census.take(query)
        var users = UserNames()
        return census.entries.keys.sorted().compactMap { inode in
            if query.pid != nil, !census.pidMatches.contains(inode) { return nil }
            if query.uid != nil, !census.uidMatches.contains(inode) { return nil }
            return describe(census.entries[inode]!, inode: inode, users: &users)
        }
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
        var users = UserNames()
        let processes = members.compactMap { pid -> NamespaceProcess? in
            guard let stat = ProcFS.processStat(pid: pid), let uid = ProcFS.uid(pid: pid) else { return nil }
            return NamespaceProcess(pid: pid, ppid: stat.ppid, command: ProcFS.command(pid: pid, comm: stat.comm), uid: uid)
        }
        return NamespaceDetail(namespace: describe(entry, inode: inode, users: &users), processes: processes)
    }

    /// The inode of each namespace a process is in; nil for a type the kernel lacks.
    public func namespaces(ofProcess pid: Int32) throws(InventoryError) -> [NamespaceType: UInt64?] {
        guard pid > 0, ProcFS.processStat(pid: pid) != nil else { throw .noSuchProcess(pid) }
        var result: [NamespaceType: UInt64?] = [:]
        for type in NamespaceType.allCases {
            result[type] = .some(ProcFS.namespaceInode(pid: pid, type: type))
        }
        return result
    }

    /// Live namespaces per type, for `/limits`.
    public func countByType() -> [NamespaceType: Set<UInt64>] {
        var result: [NamespaceType: Set<UInt64>] = [:]
        for (inode, entry) in Census.take(InventoryQuery()).entries { result[entry.type, default: []].insert(inode) }
        return result
    }

    private func describe(_ entry: Census.Entry, inode: UInt64, users: inout UserNames) -> Namespace {
        var namespace = Namespace(
            inode: inode, type: entry.type, nprocs: entry.nprocs, pid: nil, ppid: nil, command: nil,
            uid: nil, user: nil, path: entry.mountPoint ?? "", parent: nil, owner: nil, sandbox: sandboxOf(inode))
        if let pid = entry.lowestPid {
            namespace.pid = pid
            namespace.path = "/proc/\(pid)/ns/\(entry.type.rawValue)"
            if let stat = ProcFS.processStat(pid: pid) {
                namespace.ppid = stat.ppid
                namespace.command = ProcFS.command(pid: pid, comm: stat.comm)
            }
            if let uid = ProcFS.uid(pid: pid) {
                namespace.uid = uid
                namespace.user = users.name(of: uid)
            }
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

    /// One pass over /proc: each process's namespace links of the asked types, then the bind mounts.
    static func take(_ query: InventoryQuery) -> Census {
        let types = NamespaceType.allCases.filter(query.types.contains)
        var census = Census()
        for pid in ProcFS.pids() {
            let uidMatches = query.uid.map { ProcFS.uid(pid: pid) == $0 } ?? false
            for type in types {
                guard let inode = ProcFS.namespaceInode(pid: pid, type: type) else { continue }
                census.count(inode: inode, type: type, pid: pid)
                if pid == query.pid { census.pidMatches.insert(inode) }
                if uidMatches { census.uidMatches.insert(inode) }
            }
        }
        census.addMounts(NsfsMounts.current(), types: query.types)
        return census
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
