#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

@testable import HTTPServer

/// The access log's buffer and writer without a server: a full buffer drops and counts, and
/// neither a full buffer nor a writer stuck on a pipe nobody reads ever holds up the caller.
struct AccessLogBufferTests {
    static func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }

    @Test func aFullBufferRefusesWithoutWaiting() {
        let buffer = AccessLogBuffer(capacity: 1000)
        let line = Self.line(String(repeating: "x", count: 99))  // 100 bytes
        var accepted = 0
        let started = Date()
        for _ in 0..<50 where line.withUnsafeBytes({ buffer.append($0) }) { accepted += 1 }
        #expect(Date().timeIntervalSince(started) < 1, "appending to a full buffer never waits")
        #expect(accepted == 10)
        let batch = buffer.take(waitingAtMost: 0)
        #expect(batch.lines == 10 && batch.bytes.count == 1000 && !batch.closing)
        #expect(Array(batch.bytes.prefix(100)) == line)
        // Taking the batch handed the other half to the requests: lines fit again.
        #expect(line.withUnsafeBytes { buffer.append($0) })
        #expect(buffer.take(waitingAtMost: 0).lines == 1)
    }

    @Test func theWriterWakesEarlyWhenAQuarterIsUsedAndAtClose() {
        let buffer = AccessLogBuffer(capacity: 1000)
        let line = Self.line(String(repeating: "y", count: 299))
        #expect(line.withUnsafeBytes { buffer.append($0) })
        let started = Date()
        let batch = buffer.take(waitingAtMost: 30)
        #expect(Date().timeIntervalSince(started) < 5, "past the wake mark the writer does not sleep out its interval")
        #expect(batch.lines == 1)
        let closer = Thread {
            usleep(100_000)
            buffer.close()
        }
        closer.start()
        let last = buffer.take(waitingAtMost: 30)
        #expect(last.closing && last.lines == 0)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A writer blocked on a pipe nobody reads (a FIFO, as a log shipper would offer): records go
    /// on at full speed, the excess is dropped and counted at once, and close returns after its
    /// wait instead of hanging.
    @Test func aStuckWriterNeverBlocksRecordsOrClose() throws {
        let fifo = NSTemporaryDirectory() + "nsd-access-fifo-\(getpid())-\(UUID().uuidString.prefix(8))"
        try #require(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(reader >= 0)
        let statistics = ServerStatistics()
        let log = try AccessLog(destination: .file(fifo), statistics: statistics, bufferBytes: 64 << 10, flushSeconds: 0.05)
        let request = Request(method: "GET", path: "/" + String(repeating: "p", count: 1000), peer: Peer(address: "127.0.0.1"))
        let started = Date()
        for _ in 0..<5000 { log.record(request, status: 404, bytes: 100, microseconds: 12) }
        #expect(Date().timeIntervalSince(started) < 5, "5,000 records with the writer stuck")
        #expect(statistics.accessLogDropped.load(ordering: .relaxed) > 4000, "counted while the writer is still stuck")
        let closing = Date()
        log.close(waitingAtMost: 0.5)
        #expect(Date().timeIntervalSince(closing) < 3, "close gives up on a stuck writer")
        // Read what the writer could write (it goes on once the pipe has room, writes its last
        // batch and closes the FIFO): whole lines only, never one cut where the pipe was full.
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = Date().addingTimeInterval(20)
        var got = -1
        while got != 0, Date() < deadline {
            got = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if got > 0 { received += chunk.prefix(got) } else if got < 0 { usleep(10_000) }
        }
        close(reader)
        #expect(got == 0, "the writer finished and closed the FIFO")
        let lines = received.split(separator: 10)
        #expect(received.last == 10 && lines.count == statistics.accessLogLines.load(ordering: .relaxed))
        #expect(lines.count + statistics.accessLogDropped.load(ordering: .relaxed) == 5000)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            #expect(object?["status"] as? Int == 404)
        }
    }
}
