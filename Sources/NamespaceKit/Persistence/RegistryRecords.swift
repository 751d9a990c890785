import Foundation

/// A sandbox as the registry's files hold it: every field, raw (the API's shape drops some).
struct SandboxRecord: Codable, Sendable, Equatable {
    var id: String
    var name: String?
    var state: Sandbox.State
    var pid: Int32
    var startTime: UInt64
    var createdAt: Double
    var exitedAt: Double?
    var exitCode: Int32?
    var signal: Int32?
    var exitStatusUnknown: Bool
    var namespaces: [String: UInt64]
    var spec: SandboxSpec
    var cgroup: SandboxCgroup?
    var oomKilled: Bool?
}

extension SandboxRecord {
    init(_ sandbox: Sandbox) {
        id = sandbox.id
        name = sandbox.name
        state = sandbox.state
        pid = sandbox.pid
        startTime = sandbox.startTime
        createdAt = sandbox.createdAt.timeIntervalSince1970
        exitedAt = sandbox.exitedAt?.timeIntervalSince1970
        exitCode = sandbox.exitCode
        signal = sandbox.signal
        exitStatusUnknown = sandbox.exitStatusUnknown
        namespaces = [:]
        for (type, inode) in sandbox.namespaces { if let inode { namespaces[type.rawValue] = inode } }
        spec = sandbox.spec
        cgroup = sandbox.cgroup
        oomKilled = sandbox.oomKilled
    }

    var sandbox: Sandbox {
        var inodes: [NamespaceType: UInt64?] = [:]
        for type in NamespaceType.allCases { inodes[type] = .some(namespaces[type.rawValue]) }
        return Sandbox(
            id: id, name: name, state: state, pid: pid, startTime: startTime,
            createdAt: Date(timeIntervalSince1970: createdAt), exitedAt: exitedAt.map(Date.init(timeIntervalSince1970:)),
            exitCode: exitCode, signal: signal, exitStatusUnknown: exitStatusUnknown, namespaces: inodes, spec: spec,
            cgroup: cgroup, oomKilled: oomKilled ?? false)
    }
}

/// An `Idempotency-Key` and the sandbox its first request created.
public struct IdempotencyRecord: Codable, Sendable, Equatable {
    public var key: String
    var sandbox: SandboxRecord
    public var createdAt: Double

    public var firstAnswer: Sandbox { sandbox.sandbox }
    public static let lifetime: Double = 24 * 3600
}

/// One change in the journal; replaying them in order rebuilds the registry.
struct JournalEntry: Codable, Sendable {
    enum Operation: String, Codable { case put, delete, key, hold, release }
    var op: Operation
    var sandbox: SandboxRecord?
    var id: String?
    var key: IdempotencyRecord?
    /// A held namespace made (`hold`) or deleted (`release`).
    var held: HeldNamespace?
    var heldKey: HeldKey?

    static func put(_ sandbox: Sandbox) -> JournalEntry { JournalEntry(op: .put, sandbox: SandboxRecord(sandbox)) }
    static func delete(_ id: String) -> JournalEntry { JournalEntry(op: .delete, id: id) }
    static func key(_ record: IdempotencyRecord) -> JournalEntry { JournalEntry(op: .key, key: record) }
    static func hold(_ record: HeldNamespace) -> JournalEntry { JournalEntry(op: .hold, held: record) }
    static func release(_ key: HeldKey) -> JournalEntry { JournalEntry(op: .release, heldKey: key) }
}

/// The whole registry at one generation.
struct RegistrySnapshot: Codable, Sendable {
    static let currentFormat = 1
    var format: Int
    var generation: UInt64
    var sandboxes: [SandboxRecord]
    var idempotency: [IdempotencyRecord]
    /// Absent in snapshots written before namespaces could be held.
    var held: [HeldNamespace]?
}

/// The registry being rebuilt from a snapshot and the journals after it.
struct RegistryImage: Sendable {
    var order: [String] = []
    var sandboxes: [String: SandboxRecord] = [:]
    var keys: [String: IdempotencyRecord] = [:]
    var held: [HeldKey: HeldNamespace] = [:]

    init(_ snapshot: RegistrySnapshot? = nil) {
        guard let snapshot else { return }
        for record in snapshot.sandboxes { apply(.put(record.sandbox)) }
        for record in snapshot.idempotency { keys[record.key] = record }
        for record in snapshot.held ?? [] { held[record.key] = record }
    }

    /// Puts replace and deletes of unknown ids do nothing, so replaying an entry the snapshot
    /// already holds is harmless.
    mutating func apply(_ entry: JournalEntry) {
        switch entry.op {
        case .put:
            guard let record = entry.sandbox else { return }
            if sandboxes.updateValue(record, forKey: record.id) == nil { order.append(record.id) }
        case .delete:
            guard let id = entry.id, sandboxes.removeValue(forKey: id) != nil else { return }
            order.removeAll { $0 == id }
        case .key:
            guard let record = entry.key else { return }
            keys[record.key] = record
        case .hold:
            guard let record = entry.held else { return }
            held[record.key] = record
        case .release:
            guard let key = entry.heldKey else { return }
            held[key] = nil
        }
    }

    func snapshot(generation: UInt64) -> RegistrySnapshot {
        RegistrySnapshot(
            format: RegistrySnapshot.currentFormat, generation: generation,
            sandboxes: order.compactMap { sandboxes[$0] }, idempotency: Array(keys.values),
            held: held.isEmpty ? nil : held.values.sorted { ($0.type, $0.name) < ($1.type, $1.name) })
    }
}
