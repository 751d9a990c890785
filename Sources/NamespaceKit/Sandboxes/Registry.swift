import Synchronization

/// Every sandbox the server knows, in creation order, behind one lock. Values only: a later
/// snapshot to disk serialises `sandboxes` as they are.
public final class Registry: Sendable {
    public typealias Waiter = @Sendable (Sandbox) -> Void

    struct Entry {
        var sandbox: Sandbox
        /// Creation order: entries are kept in a dictionary, so removal costs O(1), not O(n).
        var sequence: UInt64
        /// Nil once the sandbox has been reaped.
        var pidfd: PidFD?
        var waiters: [UInt64: Waiter] = [:]
        /// DELETEs whose journal entry is written or being written: the registry's files hold
        /// the sandbox as deleted, so a snapshot leaves it out and its exit is not journaled.
        var deletions = 0
    }

    struct State {
        var entries: [String: Entry] = [:]
        var nextSequence: UInt64 = 0
        var running = 0
        /// Names in use, including names reserved by creations still in flight.
        var names: [String: String] = [:]
        var inodeOwners: [UInt64: String] = [:]
        var reservedSlots = 0
        var nextWaiter: UInt64 = 0
        var keys: [String: IdempotencyRecord] = [:]
        var keysInFlight = Set<String>()

        mutating func add(_ entry: Entry) {
            var entry = entry
            nextSequence += 1
            entry.sequence = nextSequence
            if entry.sandbox.state == .running { running += 1 }
            entries[entry.sandbox.id] = entry
        }

        /// Entries in creation order; O(n log n), paid by the list route, not by create or delete.
        var ordered: [Entry] { entries.values.sorted { $0.sequence < $1.sequence } }
    }

    let state = Mutex(State())

    public init() {}

    /// All sandboxes in creation order.
    public var sandboxes: [Sandbox] {
        state.withLock { s in s.ordered.map(\.sandbox) }
    }

    /// How many sandboxes run and how many have exited, without copying them.
    public func countByState() -> (running: Int, exited: Int) {
        state.withLock { s in (s.running, s.entries.count - s.running) }
    }

    /// By id, or else by name.
    public func find(_ reference: String) -> Sandbox? {
        state.withLock { s in Self.lookup(s, reference).flatMap { s.entries[$0]?.sandbox } }
    }

    static func lookup(_ s: State, _ reference: String) -> String? {
        if s.entries[reference] != nil { return reference }
        if let id = s.names[reference], s.entries[id] != nil { return id }
        return nil
    }

    /// The sandbox whose creation made the namespace with this inode.
    public func owner(ofNamespace inode: UInt64) -> String? {
        state.withLock { $0.inodeOwners[inode] }
    }

    /// Holds a name and a quota slot while a sandbox is being created.
    func reserve(id: String, name: String?, quota: Int) throws(SandboxError) {
        try state.withLock { s throws(SandboxError) in
            if let name, s.names[name] != nil { throw .nameTaken(name) }
            if quota > 0 {
                let used = s.running + s.reservedSlots
                if used >= quota { throw .quota(max: quota, used: used) }
            }
            if let name { s.names[name] = id }
            s.reservedSlots += 1
        }
    }

    func release(id: String, name: String?) {
        state.withLock { s in
            if let name, s.names[name] == id { s.names[name] = nil }
            s.reservedSlots -= 1
        }
    }

    /// Turns a reservation into a registered sandbox.
    func insert(_ sandbox: Sandbox, pidfd: Int32, created: [UInt64]) {
        state.withLock { s in
            s.reservedSlots -= 1
            s.add(Entry(sandbox: sandbox, sequence: 0, pidfd: PidFD(pidfd)))
            for inode in created { s.inodeOwners[inode] = sandbox.id }
        }
    }

    /// A DELETE is about to journal the sandbox's removal.
    func beginDeletion(id: String) {
        state.withLock { s in s.entries[id]?.deletions += 1 }
    }

    /// Journaling the removal failed: the sandbox stays.
    func abandonDeletion(id: String) {
        state.withLock { s in s.entries[id]?.deletions -= 1 }
    }

    /// Records the end of a sandbox and hands back the waiters to notify (outside the lock), and
    /// whether its removal is journaled already.
    func markExited(id: String, update: (inout Sandbox) -> Void) -> (sandbox: Sandbox, waiters: [Waiter], deleted: Bool)? {
        let result: (Sandbox, [Waiter], Bool)? = state.withLock { s in
            guard var entry = s.entries[id], entry.sandbox.state == .running else { return nil }
            update(&entry.sandbox)
            s.running -= 1
            let waiters = Array(entry.waiters.values)
            entry.waiters = [:]
            entry.pidfd = nil
            s.entries[id] = entry
            return (entry.sandbox, waiters, entry.deletions > 0)
        }
        guard let result else { return nil }
        return (result.0, result.1, result.2)
    }

    /// Runs `body` with the sandbox's pidfd while it is guaranteed open; nil when not running.
    func withPidfd<T>(_ reference: String, _ body: (Int32, Sandbox) -> T) throws(SandboxError) -> T {
        try state.withLock { s throws(SandboxError) in
            guard let id = Self.lookup(s, reference), let entry = s.entries[id] else { throw .notFound(reference) }
            guard entry.sandbox.state == .running, let pidfd = entry.pidfd else { throw .notRunning(entry.sandbox.id) }
            return body(pidfd.rawValue, entry.sandbox)
        }
    }

    /// Calls `waiter` once the sandbox has exited; returns nil and registers it while it runs,
    /// or returns the sandbox at once when it has already exited.
    func addWaiter(_ reference: String, _ waiter: @escaping Waiter) throws(SandboxError) -> (
        sandbox: Sandbox?, id: String, token: UInt64
    ) {
        try state.withLock { s throws(SandboxError) in
            guard let id = Self.lookup(s, reference), var entry = s.entries[id] else { throw .notFound(reference) }
            guard entry.sandbox.state == .running else { return (entry.sandbox, id, 0) }
            s.nextWaiter += 1
            entry.waiters[s.nextWaiter] = waiter
            s.entries[id] = entry
            return (nil, id, s.nextWaiter)
        }
    }

    /// Takes a waiter back (its timeout fired); false when it was already called.
    func removeWaiter(id: String, token: UInt64) -> Bool {
        state.withLock { s in s.entries[id]?.waiters.removeValue(forKey: token) != nil }
    }

    // MARK: idempotency keys

    enum KeyClaim {
        case claimed
        case answered(Sandbox)
    }

    /// The first answer for a key still within its lifetime, or the right to create it now.
    func claim(key: String, now: Double) throws(SandboxError) -> KeyClaim {
        try state.withLock { s throws(SandboxError) in
            if let record = s.keys[key], now - record.createdAt < IdempotencyRecord.lifetime {
                return .answered(record.firstAnswer)
            }
            guard s.keysInFlight.insert(key).inserted else { throw .idempotencyInProgress(key) }
            return .claimed
        }
    }

    func settle(key: String, record: IdempotencyRecord?) {
        state.withLock { s in
            s.keysInFlight.remove(key)
            if let record { s.keys[key] = record }
        }
    }

    // MARK: persistence

    /// A consistent copy of everything the registry's files hold; expired keys are dropped.
    func image(now: Double, held: [HeldNamespace] = []) -> RegistryImage {
        state.withLock { s in
            var image = RegistryImage()
            for record in held { image.held[record.key] = record }
            for entry in s.ordered where entry.deletions == 0 {
                image.order.append(entry.sandbox.id)
                image.sandboxes[entry.sandbox.id] = SandboxRecord(entry.sandbox)
            }
            image.keys = s.keys.filter { now - $0.value.createdAt < IdempotencyRecord.lifetime }
            return image
        }
    }

    /// Loads sandboxes read back from disk; `pidfds` holds those re-adopted as running.
    func restore(_ image: RegistryImage, sandboxes: [Sandbox], pidfds: [String: Int32]) {
        state.withLock { s in
            for sandbox in sandboxes {
                s.add(Entry(sandbox: sandbox, sequence: 0, pidfd: pidfds[sandbox.id].map(PidFD.init)))
                if let name = sandbox.name { s.names[name] = sandbox.id }
                for type in sandbox.spec.namespaces {
                    if let inode = sandbox.namespaces[type] ?? nil { s.inodeOwners[inode] = sandbox.id }
                }
            }
            s.keys = image.keys
        }
    }

    func remove(id: String) -> Sandbox? {
        state.withLock { s in
            guard let entry = s.entries.removeValue(forKey: id) else { return nil }
            if entry.sandbox.state == .running { s.running -= 1 }
            if let name = entry.sandbox.name, s.names[name] == id { s.names[name] = nil }
            for case let inode? in entry.sandbox.namespaces.values where s.inodeOwners[inode] == id {
                s.inodeOwners[inode] = nil
            }
            return entry.sandbox
        }
    }
}
