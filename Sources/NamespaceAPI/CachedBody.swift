import Foundation
import HTTPServer
import Synchronization

/// A JSON response computed at most once per `maxAge` seconds (0: every time), with its ETag.
final class CachedBody: Sendable {
    private let maxAge: UInt64
    private let cached = Mutex<(response: Response, at: UInt64)?>(nil)

    init(maxAge: Double) {
        self.maxAge = UInt64(max(0, maxAge) * 1e9)
    }

    func get(_ compute: () throws(Problem) -> [UInt8]) throws(Problem) -> Response {
        guard maxAge > 0 else { return .json(try compute()) }
        let now = DispatchTime.now().uptimeNanoseconds
        if let hit = cached.withLock({ entry in entry.flatMap { now >= $0.at && now - $0.at <= maxAge ? $0.response : nil } }) {
            return hit
        }
        let body = try compute()
        let response = Response.json(body).adding("ETag", ETag.of(body))
        cached.withLock { $0 = (response, now) }
        return response
    }
}
