import Foundation
import Synchronization

/// How many namespaces of each type live now, besides the host's initial ones. A census of /proc
/// costs milliseconds, more than a create or a `/limits` poll should, so one census serves every
/// caller that accepts its age; namespaces created by sandboxes since are added to it.
public final class NamespaceUsage: Sendable {
    private struct Census {
        var counts: [NamespaceType: Int] = [:]
        var takenAt: UInt64 = 0
        var createdSince: [NamespaceType: Int] = [:]
    }

    private let inventory: Inventory
    private let latest = Mutex(Census())
    private let maxima = Mutex<(values: [NamespaceType: Int], takenAt: UInt64)>(([:], 0))
    /// Held while a census runs, so that concurrent callers wait for one instead of each taking one.
    private let refresh = Mutex(())

    public init(inventory: Inventory = Inventory()) {
        self.inventory = inventory
    }

    /// Counts no older than `maxAge` seconds (0: take a census now).
    public func counts(maxAge: Double) -> [NamespaceType: Int] {
        let limit = UInt64(max(0, min(maxAge, 3600)) * 1e9)
        if let fresh = fresh(limit) { return fresh }
        return refresh.withLock { _ in
            if let fresh = fresh(limit) { return fresh }
            let counts = Limits.used(inventory.countByType())
            let now = DispatchTime.now().uptimeNanoseconds
            latest.withLock { $0 = Census(counts: counts, takenAt: now) }
            return counts
        }
    }

    /// The `max_*_namespaces` sysctls, read at most once per `maxAge` seconds (an unreadable one is absent).
    public func maxima(maxAge: Double) -> [NamespaceType: Int] {
        let limit = UInt64(max(0, min(maxAge, 3600)) * 1e9)
        return maxima.withLock { cached in
            let now = DispatchTime.now().uptimeNanoseconds
            if cached.takenAt != 0, limit > 0, now >= cached.takenAt, now - cached.takenAt <= limit { return cached.values }
            var values: [NamespaceType: Int] = [:]
            for type in NamespaceType.allCases { values[type] = try? Limits.readMax(type) }
            cached = (values, now)
            return values
        }
    }

    func noteCreated(_ types: [NamespaceType]) {
        latest.withLock { census in for type in types { census.createdSince[type, default: 0] += 1 } }
    }

    private func fresh(_ limit: UInt64) -> [NamespaceType: Int]? {
        latest.withLock { census in
            // Read the clock under the lock: a census stored meanwhile cannot be newer than `now`.
            let now = DispatchTime.now().uptimeNanoseconds
            guard census.takenAt != 0, limit > 0, now >= census.takenAt, now - census.takenAt <= limit else { return nil }
            return census.counts.merging(census.createdSince, uniquingKeysWith: +)
        }
    }
}
