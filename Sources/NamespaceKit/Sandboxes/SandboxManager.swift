#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import Foundation
import Synchronization
import SystemPackage

/// Creates, supervises and removes sandboxes. Knows nothing of HTTP: every answer is a value
/// or a `SandboxError`.
public final class SandboxManager: Sendable {
    public let registry: Registry
    let state: StateDirectory
    let quota: Int
    let admission: Admission
    /// Live namespaces per type, shared by admission control and `/limits`.
    public let usage = NamespaceUsage()
    /// Every sandbox's creation, exit and removal, in that order for each sandbox.
    public let events: EventSource
    let store: RegistryStore
    private let reaper: Reaper
    let execSlots = Mutex(0)
    let confinement: ConfinementSettings
    /// Where sandbox cgroups go; `.disabled` without cgroups.
    public let cgroups: CgroupLayout
    let reserve: StorageReserve
    /// Namespaces made and kept on their own (`POST /namespaces`).
    public let held: HeldNamespaces
    /// What the start-up recovery wants an operator to read (damaged files, recovered generations).
    public let startupWarnings: [String]

    public struct StartupRefusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads the registry from the state directory, re-adopts the sandboxes that still run, and
    /// writes the result as a new generation.
    /// - Parameter quota: most running sandboxes at once; 0 for no quota.
    /// - Parameter hiddenPaths: host files no sandbox may see besides the state directory
    ///   (credentials: token files, TLS keys).
    /// - Parameter cgroups: the cgroup layout (`CgroupLayout.setUp`); sandbox cgroups of ids the
    ///   registry does not know are killed and removed.
    public init(
        stateDirectory: String, quota: Int, durability: RegistryStore.Durability = .fsync,
        allowEmptyRegistry: Bool = false, hiddenPaths: [String] = [], cgroups: CgroupLayout = .disabled,
        reserve: StorageReserve = StorageReserve()
    ) throws {
        let registry = Registry()
        let state: StateDirectory
        do throws(StateDirectoryRefusal) { state = try StateDirectory.open(stateDirectory) } catch {
            throw StartupRefusal(description: error.description)
        }
        do throws(SystemError) {
            confinement = try ConfinementSettings.prepare(stateDirectory: state.root, hidden: hiddenPaths)
        } catch {
            throw StartupRefusal(description: error.description)
        }
        let store = RegistryStore(directory: state.root, durability: durability)
        let loaded: RegistryLoader.Loaded
        do throws(RegistryLoader.Refusal) { loaded = try store.load(allowEmpty: allowEmptyRegistry) } catch {
            throw StartupRefusal(description: error.description)
        }
        self.registry = registry
        self.state = state
        self.quota = quota
        self.store = store
        self.admission = Admission(usage: usage)
        self.cgroups = cgroups
        self.reserve = reserve
        let adoption = Adoption.adopt(loaded.image, state: state, cgroups: cgroups)
        registry.restore(loaded.image, sandboxes: adoption.sandboxes, pidfds: adoption.pidfds)
        let heldAdoption = HeldNamespaces.adopt(
            Array(loaded.image.held.values), stateDirectory: state.root, store: store, admission: admission)
        let heldNamespaces = heldAdoption.held
        held = heldNamespaces
        startupWarnings = loaded.warnings + adoption.notes + heldAdoption.notes
        let events = EventSource()
        self.events = events
        let reaper = Reaper { [registry, state, store, events] id, status in
            Self.recordExit(id: id, status: status, registry: registry, state: state, store: store, events: events)
        }
        for (id, pidfd) in adoption.pidfds { reaper.watch(pidfd: pidfd, id: id) }
        self.reaper = reaper
        // libdispatch creates its timer machinery (three fds) on first use; do it now, so the
        // server's fd count is flat from the start and a leak stands out.
        Self.timers.asyncAfter(deadline: .now() + .milliseconds(1)) {}
        do throws(SystemError) {
            try store.start(at: loaded.nextGeneration) {
                registry.image(now: Date().timeIntervalSince1970, held: heldNamespaces.records)
            }
        } catch {
            throw StartupRefusal(description: "cannot write the registry: \(error)")
        }
    }

    /// Journal sync and snapshot timings.
    public var storeObserver: StoreObserver { store.observer }

    /// Writes the whole registry as a new snapshot, for a clean stop.
    @discardableResult
    public func checkpoint() throws(SystemError) -> RegistryStore.SnapshotStats {
        try store.checkpoint()
    }

    /// The inventory, with each namespace's creating sandbox filled in.
    public var inventory: Inventory {
        let registry = self.registry
        return Inventory(sandboxOf: { registry.owner(ofNamespace: $0) }, annotate: heldAnnotation)
    }

    // MARK: create

    public struct Created: Sendable {
        public var sandbox: Sandbox
        /// True when an earlier request with the same Idempotency-Key created it.
        public var replayed: Bool
    }

    /// Starts the sandbox and answers once it is durable in the registry. `whileStarting` gets the
    /// sandbox as it will be returned, while its init is still setting up: time to prepare an answer.
    public func create(
        _ requested: SandboxSpec, idempotencyKey: String? = nil,
        whileStarting: (Sandbox) -> Void = { _ in }
    ) throws(SandboxError) -> Created {
        guard let key = idempotencyKey else {
            return Created(sandbox: try start(requested, key: nil, whileStarting: whileStarting), replayed: false)
        }
        switch try registry.claim(key: key, now: Date().timeIntervalSince1970) {
        case .answered(let sandbox):
            // The key names one request: reused for another, it must not answer the first one.
            guard Self.sameRequest(requested, created: sandbox.spec) else { throw .idempotencyMismatch(key) }
            return Created(sandbox: sandbox, replayed: true)
        case .claimed:
            do throws(SandboxError) {
                let sandbox = try start(requested, key: key, whileStarting: whileStarting)
                return Created(sandbox: sandbox, replayed: false)
            } catch {
                registry.settle(key: key, record: nil)
                throw error
            }
        }
    }

    /// Whether `requested` is the request that created `created`: the one member the manager
    /// fills in itself is the default hostname.
    static func sameRequest(_ requested: SandboxSpec, created: SandboxSpec) -> Bool {
        var requested = requested
        // What the server filled in on the first create: its hostname and default pids limit.
        if requested.hostname == nil { requested.hostname = created.hostname }
        if requested.resources.pidsDefaulted, requested.resources.pids == nil {
            requested.resources.pids = created.resources.pids
        }
        return requested == created
    }

    /// The journal entry is written while the init sets the namespaces up and execs the command
    /// (about half of a start), so the disk sync costs a create next to nothing.
    private func start(_ requested: SandboxSpec, key: String?, whileStarting: (Sandbox) -> Void) throws(SandboxError) -> Sandbox {
        do throws(SystemError) { try reserve.check(state.root) } catch { throw .storage(error) }
        let id = Self.newID()
        var spec = requested
        try fillResources(&spec.resources)
        if spec.has(.uts), spec.hostname == nil {
            let fromName = spec.name.flatMap { (try? SpecRule.hostname($0)) != nil ? $0 : nil }
            spec.hostname = fromName ?? String(id.prefix(12))
        }
        let rootfs = try spec.rootfs.map { rootfs throws(SandboxError) in try confinement.checkRootfs(rootfs) }
        let sources = try spec.mounts.enumerated().map { (index, mount) throws(SandboxError) in
            try mount.source.map { source throws(SandboxError) in
                try confinement.checkBindSource(source, member: "mounts[\(index)].source")
            }
        }
        let joins = try JoinTargets.open(spec, held: held, registry: registry, inventory: inventory)
        try joins.adopt(into: &spec)
        try registry.reserve(id: id, name: spec.name, quota: quota)
        let cgroup = cgroups.enabled ? SandboxCgroup(id: id, layout: cgroups) : nil
        func abandon() {
            registry.release(id: id, name: spec.name)
            if let cgroup {
                cgroup.killAll()
                cgroup.remove()
            }
            state.remove(id, recycle: spec.has(.pid))
        }
        func finish(_ starting: Spawner.Starting) throws(SandboxError) -> Spawner.Started {
            try mapLimit(spec.namespaces) { () throws(SandboxError) in try starting.finish() }
        }
        let sandbox: Sandbox
        var starting: Spawner.Starting
        do throws(SandboxError) {
            try admission.check(spec.namespaces)
            let files: StateDirectory.Files
            do throws(SystemError) { files = try state.create(id) } catch { throw .storage(error) }
            defer { files.close() }
            // Taken before the init exists, on the clock its exit record uses: a sandbox never
            // exits before it was created.
            let createdAt = Date()
            let handles: SandboxCgroup.Handles?
            do throws(SystemError) {
                try cgroup?.create(spec.resources)
                handles = try cgroup?.open()
            } catch {
                throw .spawnFailed(step: "create_cgroup", errno: error.errno, detail: "create cgroup \(error.argument)")
            }
            defer { handles?.close() }
            starting = try mapLimit(spec.namespaces) { () throws(SandboxError) in
                try Spawner.begin(
                    spec, hostname: spec.hostname, files: files, settings: confinement, rootfs: rootfs, sources: sources,
                    cgroup: handles, joins: joins)
            }
            // Until its parent reaps it, the init's stat stays readable even if it has exited.
            let startTime = ProcFS.processStat(pid: starting.pid)?.startTime ?? 0
            var namespaces = try mapLimit(spec.namespaces) { () throws(SandboxError) in try starting.namespaces() }
            // The init enters a joined user namespace after it reports; the server opened them all.
            for (type, inode) in joins.inodes { namespaces[type] = .some(inode) }
            sandbox = Sandbox(
                id: id, name: spec.name, state: .running, pid: starting.pid, startTime: startTime, createdAt: createdAt,
                exitedAt: nil, exitCode: nil, signal: nil, exitStatusUnknown: false, namespaces: namespaces, spec: spec,
                cgroup: cgroup)
        } catch {
            abandon()
            throw error
        }
        let sequence = store.appendAhead(.put(sandbox))
        whileStarting(sandbox)
        // This thread would only wait for the init: it writes and syncs meanwhile.
        let journaled = Result { () throws(SystemError) in try store.waitDurable(sequence) }
        let started: Spawner.Started
        do throws(SandboxError) {
            started = try finish(starting)
        } catch {
            // Settled first: a snapshot may not pick the entry up again after its removal.
            store.settle()
            store.flushSoon(store.append(.delete(id)))
            abandon()
            throw error
        }
        let created = spec.namespaces.compactMap { sandbox.namespaces[$0] ?? nil }
        registry.insert(sandbox, pidfd: started.pidfd, created: created)
        store.settle()
        admission.created(spec.namespaces)
        // Before the reaper watches it: its exit can only be told after its creation.
        events.publish(.sandboxCreated(sandbox))
        // Watched only now, so the entry of its exit always follows the entry of its start.
        reaper.watch(pidfd: started.pidfd, id: id)
        var keyRecord: IdempotencyRecord?
        do throws(SystemError) {
            try journaled.get()
            if let key {
                keyRecord = IdempotencyRecord(key: key, sandbox: SandboxRecord(sandbox), createdAt: Date().timeIntervalSince1970)
                try store.waitDurable(store.append(.key(keyRecord!)))
            }
        } catch {
            // Nobody may be told about a sandbox the registry could not record: take it down again.
            discard(sandbox)
            throw .storage(error)
        }
        if let key { registry.settle(key: key, record: keyRecord) }
        return sandbox
    }

    /// The default pids limit where there is a pids controller; a limit the server cannot enforce
    /// is refused before anything is made.
    private func fillResources(_ resources: inout SandboxSpec.Resources) throws(SandboxError) {
        if resources.pidsDefaulted, resources.pids == nil, cgroups.parents[.pids] != nil {
            resources.pids = SandboxSpec.Resources.defaultPids
        }
        let wanted: [(String, Bool, CgroupController)] = [
            ("resources.memoryBytes", resources.memoryBytes != nil, .memory),
            ("resources.cpus", resources.cpus != nil, .cpu),
            ("resources.pids", resources.pids != nil, .pids),
        ]
        for (member, requested, controller) in wanted where requested && cgroups.parents[controller] == nil {
            throw .resourceUnavailable(member: member, controller: controller)
        }
    }

    /// The kernel's ENOSPC from a spawn step becomes the same answer admission control gives.
    private func mapLimit<T>(_ types: [NamespaceType], _ body: () throws(SandboxError) -> T) throws(SandboxError) -> T {
        do throws(SandboxError) {
            return try body()
        } catch .spawnFailed(let step, let errno, _) where errno == .noSpace {
            throw limitError(for: types, step: step)
        }
    }

    /// Kills a sandbox that must not exist, waits for the reaper, and forgets it.
    private func discard(_ sandbox: Sandbox) {
        let gone = DispatchSemaphore(value: 0)
        try? delete(sandbox.id, journal: false) { _ in gone.signal() }
        _ = gone.wait(timeout: .now() + 10)
    }

    /// The kernel said ENOSPC: name the requested type closest to its limit.
    private func limitError(for types: [NamespaceType], step: String) -> SandboxError {
        let used = admission.currentUse()
        let limits = types.compactMap { type -> (NamespaceType, Int, Int)? in
            guard let max = try? Limits.readMax(type) else { return nil }
            return (type, max, used[type] ?? 0)
        }
        let tightest = limits.min { ($0.1 - $0.2) < ($1.1 - $1.2) } ?? (types.first ?? .user, 0, 0)
        return .namespaceLimit(type: tightest.0, max: tightest.1, used: tightest.2)
    }

    /// 128 random bits as 32 hex digits.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return [generator.next(), generator.next()].map { (word: UInt64) in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    // MARK: read

    public func list(state: Sandbox.State? = nil, labels: [String: String] = [:]) -> [Sandbox] {
        registry.sandboxes.filter { sandbox in
            (state == nil || sandbox.state == state) && labels.allSatisfy { sandbox.labels[$0.key] == $0.value }
        }
    }

    public func get(_ reference: String) throws(SandboxError) -> Sandbox {
        guard let sandbox = registry.find(reference) else { throw .notFound(reference) }
        return sandbox
    }

    /// The log file, open, with its size at this moment (an empty log when it is gone).
    public func logs(_ reference: String, stream: LogStream) throws(SandboxError) -> (file: FileDescriptor, size: UInt64)? {
        let sandbox = try get(reference)
        return state.openLog(sandbox.id, stream: stream)
    }

    /// The log followed as it grows, ending once the sandbox has exited and all is read; nil when
    /// the sandbox has no log.
    public func follow(_ reference: String, stream: LogStream) throws(SandboxError) -> LogFollower? {
        let sandbox = try get(reference)
        guard let log = state.openLog(sandbox.id, stream: stream) else { return nil }
        let follower = LogFollower(file: log.file, sandboxID: sandbox.id, exited: sandbox.state == .exited, events: events)
        // It may have exited between the look above and the subscription inside the follower.
        if registry.find(sandbox.id)?.state != .running { follower.markExited() }
        return follower
    }

    /// The sandbox's cgroup figures now (all null without a cgroup).
    public func stats(_ reference: String) throws(SandboxError) -> SandboxStats {
        try get(reference).cgroup?.stats ?? SandboxStats()
    }

    // MARK: wait, signal, delete

    /// Wait timeouts fire here, never behind long work on the shared global queues.
    static let timers = DispatchQueue(label: "sandbox-wait-timers")

    /// Calls `completion` exactly once: when the sandbox exits, or with its current state after `timeout`.
    public func wait(_ reference: String, timeout: Double, completion: @escaping @Sendable (Sandbox) -> Void) throws(SandboxError)
    {
        let once = Once(completion)
        let registration = try registry.addWaiter(reference) { once.call($0) }
        if let done = registration.sandbox { return once.call(done) }
        let registry = self.registry
        Self.timers.asyncAfter(deadline: .now() + timeout) {
            if registry.removeWaiter(id: registration.id, token: registration.token),
                let current = registry.find(registration.id)
            {
                once.call(current)
            }
        }
    }

    public func signal(_ reference: String, _ number: Int32) throws(SandboxError) {
        let failed: Int32? = try registry.withPidfd(reference) { pidfd, _ in
            nsd_pidfd_send_signal(pidfd, number) == 0 ? nil : Glibc.errno
        }
        // ESRCH: it exited between the check and the signal; it is not running any more.
        if let failed, failed == ESRCH { throw .notRunning(reference) }
        if let failed { throw .internalFailure("pidfd_send_signal: \(Errno(rawValue: failed))") }
    }

    /// Journals the removal, then kills the whole sandbox if it runs, reaps it, forgets it and
    /// removes its files. `completion` gets the error of recording the removal, if that failed:
    /// then nothing else happened, and the sandbox runs on. A crash after the entry is durable
    /// finishes the removal at the next start (an init the registry does not know is killed).
    public func delete(_ reference: String, completion: @escaping @Sendable (SystemError?) -> Void) throws(SandboxError) {
        try delete(reference, journal: true, completion: completion)
    }

    private func delete(_ reference: String, journal: Bool, completion: @escaping @Sendable (SystemError?) -> Void)
        throws(SandboxError)
    {
        let sandbox = try get(reference)
        if journal {
            registry.beginDeletion(id: sandbox.id)
            // Held ahead so that no snapshot is taken while the entry's fate is open: it would
            // leave out a sandbox whose removal may yet fail.
            let sequence = store.appendAhead(.delete(sandbox.id))
            do throws(SystemError) { try store.waitDurable(sequence) } catch {
                registry.abandonDeletion(id: sandbox.id)
                store.settle()
                return completion(error)
            }
            store.settle()
        }
        // The cgroup holds every process of the sandbox, those that left the init's tree with
        // setsid or a double fork included, and those still there after the command exited.
        sandbox.cgroup?.killAll()
        if sandbox.state == .running {
            _ = try? registry.withPidfd(sandbox.id) { pidfd, running in
                // Without a pid namespace the init's death does not take the command with it.
                if !running.spec.has(.pid), running.cgroup == nil {
                    for child in ProcessTree.descendants(of: running.pid) { kill(child, SIGKILL) }
                }
                nsd_pidfd_send_signal(pidfd, SIGKILL)
            }
        }
        try wait(sandbox.id, timeout: 3600) { [registry, state, events] exited in
            _ = registry.remove(id: exited.id)
            exited.cgroup?.remove()
            state.remove(exited.id, recycle: exited.spec.has(.pid))
            events.publish(.sandboxDeleted(exited))
            completion(nil)
        }
    }

    // MARK: exit

    static func recordExit(
        id: String, status: nsd_wait_status, registry: Registry, state: StateDirectory, store: RegistryStore,
        events: EventSource
    ) {
        let record = state.exitRecord(of: id)
        let reaped = status.reaped == 1 ? (status.exit_code, status.signal) : nil
        guard
            let (exited, waiters, deleted) = registry.markExited(
                id: id,
                update: { sandbox in
                    sandbox.settle(record: record, reaped: reaped)
                    sandbox.oomKilled = (sandbox.cgroup?.oomKills ?? 0) > 0
                })
        else { return }
        // The exit is in the sandbox's exit file already (a restart reads it from there); the
        // journal entry can follow with the next sync. After a journaled removal it would bring
        // the sandbox back on replay.
        if !deleted { store.flushLater(store.append(.put(exited))) }
        events.publish(.sandboxExited(exited))
        waiters.forEach { $0(exited) }
    }
}

/// A completion that runs at most once, whichever of exit or timeout comes first.
final class Once: Sendable {
    private let body: Mutex<(@Sendable (Sandbox) -> Void)?>

    init(_ body: @escaping @Sendable (Sandbox) -> Void) {
        self.body = Mutex(body)
    }

    func call(_ sandbox: Sandbox) {
        let taken = body.withLock { value in
            defer { value = nil }
            return value
        }
        taken?(sandbox)
    }
}
