#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// Durability for the in-memory registry: changes are appended to a journal and made durable
/// in groups (concurrent creates share one fdatasync), and the journal is folded into a new
/// snapshot in the background, so a request's cost does not grow with the registry.
public final class RegistryStore: @unchecked Sendable {
    public enum Durability: String, Sendable { case fsync, none }

    private let files: RegistryFiles
    private let durability: Durability
    private let condition = NSCondition()
    private let compactEvery: Int
    /// Sync and snapshot timings, for metrics.
    public let observer = StoreObserver()
    /// Background flushes and compactions, in order, off the shared global queues.
    private let writer = DispatchQueue(label: "registry-writer")
    // Guarded by `condition`.
    /// Encoded by whoever writes them, so a request only pays for queueing a value.
    private var pending: [JournalEntry] = []
    private var appended: UInt64 = 0
    /// Every change up to here has been written, or its batch failed.
    private var resolved: UInt64 = 0
    private var writing = false
    private var failures: [(from: UInt64, through: UInt64, error: SystemError)] = []
    private var journal: FileDescriptor?
    private var generation: UInt64 = 0
    private var entriesInJournal = 0
    private var compacting = false
    /// Changes written ahead of the registry (see `appendAhead`) and not yet settled.
    private var unsettled = 0
    /// Supplies the registry's current contents for a new snapshot.
    private var capture: (@Sendable () -> RegistryImage)?

    public init(directory: String, durability: Durability = .fsync, compactEvery: Int = 4096) {
        files = RegistryFiles(directory: directory)
        self.durability = durability
        self.compactEvery = compactEvery
    }

    func load(allowEmpty: Bool) throws(RegistryLoader.Refusal) -> RegistryLoader.Loaded {
        try RegistryLoader(files: files).load(allowEmpty: allowEmpty)
    }

    /// Writes the loaded (and re-adopted) registry as a fresh generation and opens its journal.
    func start(at nextGeneration: UInt64, capture: @escaping @Sendable () -> RegistryImage) throws(SystemError) {
        condition.lock()
        self.capture = capture
        generation = nextGeneration
        condition.unlock()
        try writeSnapshot(capture(), generation: nextGeneration)
        try openJournal(nextGeneration)
        prune()
    }

    private func openJournal(_ generation: UInt64) throws(SystemError) {
        let path = files.journal(generation)
        let file: FileDescriptor
        do throws(Errno) { file = try Self.openJournal(path) } catch { throw SystemError("open", path, errno: error) }
        condition.lock()
        try? journal?.close()
        journal = file
        entriesInJournal = 0
        condition.unlock()
        if durability == .fsync { try files.syncDirectory() }
    }

    /// Queues a change; returns its sequence number for `waitDurable`.
    @discardableResult
    func append(_ entry: JournalEntry) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        pending.append(entry)
        appended += 1
        return appended
    }

    /// Queues a change of a sandbox the registry does not hold yet, to be made durable while the
    /// sandbox is still being set up. Until `settle`, no snapshot is taken: it would lack the
    /// sandbox while retiring the journal that has it.
    func appendAhead(_ entry: JournalEntry) -> UInt64 {
        condition.lock()
        unsettled += 1
        condition.unlock()
        return append(entry)
    }

    /// The change from `appendAhead` is in the registry now, or will never be (it failed).
    func settle() {
        condition.lock()
        unsettled -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once the change `sequence` is on disk. The first waiter writes everything queued so
    /// far and syncs once; the others find their change already durable.
    func waitDurable(_ sequence: UInt64) throws(SystemError) {
        condition.lock()
        defer { condition.unlock() }
        while resolved < sequence {
            if writing {
                condition.wait()
                continue
            }
            writing = true
            let batch = pending
            let first = resolved + 1
            let target = appended
            let file = journal
            let path = files.journal(generation)
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            let result = Result { () throws(SystemError) in try self.write(batch, to: file, path: path) }
            condition.lock()
            writing = false
            resolved = target
            switch result {
            case .success:
                entriesInJournal += Int(target - first + 1)
                if entriesInJournal >= compactEvery, !compacting {
                    compacting = true
                    writer.async { self.compact() }
                }
            case .failure(let error):
                failures.append((first, target, error))
                if failures.count > 64 { failures.removeFirst() }
            }
            condition.broadcast()
        }
        if let failed = failures.last(where: { $0.from <= sequence && sequence <= $0.through }) { throw failed.error }
    }

    /// Starts writing everything up to `sequence` now, on the writer's thread, for a caller that
    /// does not wait for it (or waits later).
    func flushSoon(_ sequence: UInt64) {
        writer.async { try? self.waitDurable(sequence) }
    }

    /// For changes whose facts are already on disk elsewhere (an exit, in the sandbox's exit file):
    /// written with the next sync anyone asks for, at the latest after `delay` seconds. One sync
    /// less per sandbox, and none racing the answer to a `wait`.
    func flushLater(_ sequence: UInt64, delay: Double = 0.05) {
        writer.asyncAfter(deadline: .now() + delay) { try? self.waitDurable(sequence) }
    }

    /// What writing one snapshot took.
    public struct SnapshotStats: Sendable {
        public var generation: UInt64
        public var sandboxes: Int
        public var bytes: Int
        public var seconds: Double
    }

    /// Writes the current registry as a new snapshot now (a clean stop).
    func checkpoint() throws(SystemError) -> SnapshotStats {
        condition.lock()
        while compacting { condition.wait() }
        compacting = true
        condition.unlock()
        return try compact().get()
    }

    /// Folds the journal into a new snapshot: switch to a new journal while no batch is being
    /// written, capture the registry, then write the snapshot outside the lock. The snapshot holds
    /// every change of the old journal, and replaying a change it already holds is harmless; if
    /// writing it fails, the journals still hold everything and nothing is pruned.
    @discardableResult
    private func compact() -> Result<SnapshotStats, SystemError> {
        defer {
            condition.lock()
            compacting = false
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        while writing || unsettled > 0 { condition.wait() }
        writing = true
        let next = generation + 1
        let image = capture?() ?? RegistryImage()
        let path = files.journal(next)
        let opened = Result { () throws(Errno) in try Self.openJournal(path) }
        if case .success(let file) = opened {
            try? journal?.close()
            journal = file
            generation = next
            entriesInJournal = 0
        }
        writing = false
        condition.broadcast()
        condition.unlock()
        if case .failure(let error) = opened { return .failure(SystemError("open", path, errno: error)) }
        let started = DispatchTime.now().uptimeNanoseconds
        let result = Result { () throws(SystemError) -> SnapshotStats in
            let bytes = try writeSnapshot(image, generation: next)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return SnapshotStats(generation: next, sandboxes: image.order.count, bytes: bytes, seconds: seconds)
        }
        if case .success(let stats) = result {
            observer.record(.snapshot(bytes: stats.bytes, seconds: stats.seconds))
            prune()
        }
        return result
    }

    /// Appends a batch, a line of JSON per change; on failure the journal is cut back so no
    /// half-written change stays in it.
    private func write(_ batch: [JournalEntry], to journal: FileDescriptor?, path: String) throws(SystemError) {
        guard !batch.isEmpty else { return }
        guard let journal else { throw SystemError("write", path, errno: .badFileDescriptor) }
        let encoder = JSONEncoder()
        var bytes: [UInt8] = []
        for entry in batch {
            guard let line = try? encoder.encode(entry) else { throw SystemError("encode", path, errno: .invalidArgument) }
            bytes += line
            bytes.append(UInt8(ascii: "\n"))
        }
        let start = try? journal.seek(offset: 0, from: .end)
        do throws(SystemError) {
            try RegistryFiles.writeAll(journal, bytes, path: path)
            if durability == .fsync {
                let started = DispatchTime.now().uptimeNanoseconds
                do throws(Errno) { try Syscall.syncData(journal) } catch { throw SystemError("fdatasync", path, errno: error) }
                observer.record(.journalSync(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
        } catch {
            if let start { try? Syscall.truncate(journal, to: start) }
            throw error
        }
    }

    private static func openJournal(_ path: String) throws(Errno) -> FileDescriptor {
        try Syscall.open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW)
    }

    /// Returns the snapshot's size in bytes.
    @discardableResult
    func writeSnapshot(_ image: RegistryImage, generation: UInt64) throws(SystemError) -> Int {
        let data: Data
        do { data = try JSONEncoder().encode(image.snapshot(generation: generation)) } catch {
            throw SystemError("encode", files.snapshot(generation), errno: .invalidArgument)
        }
        try files.writeAtomically(data, to: files.snapshot(generation), sync: durability == .fsync)
        return data.count
    }

    /// Deletes what no recovery can need: snapshots older than the newest two, and journals older
    /// than the older of those (it is the fallback, replayed with every journal after it).
    private func prune() {
        let snapshots = files.snapshotGenerations
        let kept = Array(snapshots.suffix(2))
        for generation in snapshots where !kept.contains(generation) { unlink(files.snapshot(generation)) }
        guard let oldestKept = kept.first else { return }
        for generation in files.journalGenerations where generation < oldestKept { unlink(files.journal(generation)) }
    }
}
