import Foundation
import NamespaceKit

/// One server-sent event as it goes on the wire, encoded once for every listener.
struct EventFrame: Sendable {
    let id: UInt64
    let name: String
    let bytes: [UInt8]

    init(id: UInt64, name: String, data: [UInt8]) {
        self.id = id
        self.name = name
        // JSONEncoder writes no newline without pretty printing, so the data is one `data:` line.
        bytes = Array("id: \(id)\nevent: \(name)\ndata: ".utf8) + data + Array("\n\n".utf8)
    }

    static func data(of event: ChangeEvent) -> [UInt8] {
        let encoded: [UInt8]?
        switch event {
        case .sandboxCreated(let sandbox), .sandboxExited(let sandbox), .sandboxDeleted(let sandbox):
            encoded = try? JSON.encode(sandbox)
        case .namespaceCreated(let namespace), .namespaceRemoved(let namespace):
            encoded = try? JSON.encode(namespace)
        case .limitsChanged(let limit):
            encoded = try? JSON.encode(limit)
        }
        return encoded ?? Array("{}".utf8)
    }

    /// Sent instead of a replay when the listener's id is not in the ring: it must list again.
    struct Reset: Encodable {
        var reason: String
        var lastEventId: UInt64
        var oldest: UInt64
        var latest: UInt64
    }

    static let keepAlive = Array(": keep-alive\n\n".utf8)
    /// The reconnection delay EventSource-style clients use, sent first on every stream.
    static let preamble = Array("retry: 2000\n\n".utf8)
}
