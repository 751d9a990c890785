import Foundation

/// A server-sent event as a client parsed it.
struct SSEEvent: Sendable {
    var id: UInt64?
    var name: String
    var data: String
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
}

/// `curl -N` reading a stream into a file, as a person watching the stream would run it; the
/// parse is of what curl wrote (events, comments), so the wire format is what is checked.
final class CurlStream: @unchecked Sendable {
    let output: String
    private let process: Background

    /// - Parameter seconds: curl's own limit (`--max-time`), so that a stuck stream ends anyway.
    init(_ url: String, headers: [String: String] = [:], seconds: Int = 30) throws {
        output = NSTemporaryDirectory() + "nsd-curl-\(getpid())-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: output, contents: nil)
        var arguments = ["curl", "-sN", "--max-time", String(seconds), "-o", output]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        process = try Background(arguments + [url])
        // Reaped the moment it ends: a zombie child would trouble tests that count them.
        let child = process.process
        Thread.detachNewThread { child.waitUntilExit() }
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: output)
    }

    var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.process.isRunning }
    var events: [SSEEvent] { Self.parse(text) }

    /// Waits for curl to end by itself (the stream ended, or its --max-time passed).
    func waitForEnd(_ seconds: Double) -> Bool { eventually(seconds) { !self.isRunning } }

    static func parse(_ text: String) -> [SSEEvent] {
        var events: [SSEEvent] = []
        // Only complete events: a block is complete once its blank line has arrived.
        for block in text.components(separatedBy: "\n\n").dropLast() {
            var event = SSEEvent(id: nil, name: "message", data: "")
            var sawField = false
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let field = line[..<colon]
                var value = line[line.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
                switch field {
                case "id":
                    event.id = UInt64(value)
                    sawField = true
                case "event":
                    event.name = String(value)
                    sawField = true
                case "data":
                    event.data += String(value)
                    sawField = true
                default: break
                }
            }
            if sawField { events.append(event) }
        }
        return events
    }
}
