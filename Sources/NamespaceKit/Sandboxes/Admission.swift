import Foundation
import Synchronization

/// Refuses a sandbox before cloning when a requested namespace type is at its kernel limit.
/// A full /proc census per create would cost more than the create itself, so the count is
/// cached briefly and the sandboxes created since are added; the kernel's own ENOSPC stays
/// the backstop and maps to the same answer.
final class Admission: Sendable {
    private struct Cache {
        var counts: [NamespaceType: Int] = [:]
        var takenAt: UInt64 = 0
        var createdSince: [NamespaceType: Int] = [:]
    }

    private let inventory: Inventory
    private let cache = Mutex(Cache())
    private let maxAge: UInt64 = 500_000_000

    init(inventory: Inventory) {
        self.inventory = inventory
    }

    func check(_ types: [NamespaceType]) throws(SandboxError) {
        guard !types.isEmpty else { return }
        let used = currentUse()
        for type in types {
            let max: Int
            do { max = try Limits.readMax(type) } catch { continue }
            let count = used[type] ?? 0
            if count >= max { throw .namespaceLimit(type: type, max: max, used: count) }
        }
    }

    func created(_ types: [NamespaceType]) {
        cache.withLock { c in for type in types { c.createdSince[type, default: 0] += 1 } }
    }

    /// Live namespaces per type other than the host's initial ones.
    func currentUse() -> [NamespaceType: Int] {
        let now = DispatchTime.now().uptimeNanoseconds
        if let fresh = cache.withLock({ c -> [NamespaceType: Int]? in
            guard c.takenAt != 0, now - c.takenAt < maxAge else { return nil }
            return c.counts.merging(c.createdSince, uniquingKeysWith: +)
        }) {
            return fresh
        }
        let census = Limits.used(inventory.countByType())
        cache.withLock { c in
            c.counts = census
            c.takenAt = now
            c.createdSince = [:]
        }
        return census
    }
}
