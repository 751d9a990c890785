import Foundation
import HTTPServer
import Synchronization

/// A response body computed at most once per `maxAge` seconds; 0 computes it every time.
final class CachedBody: Sendable {
    private let maxAge: UInt64
    private let cached = Mutex<(body: [UInt8], at: UInt64)?>(nil)

    init(maxAge: Double) {
        self.maxAge = UInt64(max(0, maxAge) * 1e9)
    }

    func get(_ compute: () throws(Problem) -> [UInt8]) throws(Problem) -> [UInt8] {
        guard maxAge > 0 else { return try compute() }
        let now = DispatchTime.now().uptimeNanoseconds
        if let hit = cached.withLock({ entry in entry.flatMap { now >= $0.at && now - $0.at <= maxAge ? $0.body : nil } }) {
            return hit
        }
        let body = try compute()
        cached.withLock { $0 = (body, now) }
        return body
    }
}
