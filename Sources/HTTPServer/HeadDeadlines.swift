#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Absolute deadlines per connection phase. MHD's own timeout only measures inactivity, so a
/// client trickling one header byte every few seconds would hold a connection forever. Here a
/// request head must be complete within `head` seconds of its request line (or of the connection
/// opening), and a keep-alive connection may sit between requests at most `idle` seconds, however
/// the bytes arrive. Past a deadline the socket is shut down; MHD then closes it as usual.
final class HeadDeadlines: Sendable {
    private enum Phase { case head, idle, busy }
    private struct Entry {
        var fd: Int32
        var phase: Phase
        var deadline: UInt64
    }

    private let head: UInt64
    private let idle: UInt64
    private let table = Mutex<[UInt: Entry]>([:])

    init(headSeconds: Int, idleSeconds: Int) {
        head = UInt64(headSeconds) * 1_000_000_000
        idle = UInt64(idleSeconds) * 1_000_000_000
    }

    func opened(_ connection: OpaquePointer, fd: Int32) {
        let deadline = Self.now() + head
        table.withLock { $0[UInt(bitPattern: connection)] = Entry(fd: fd, phase: .head, deadline: deadline) }
    }

    func closed(_ connection: OpaquePointer) {
        _ = table.withLock { $0.removeValue(forKey: UInt(bitPattern: connection)) }
    }

    /// The request line arrived: from an idle connection, the head's clock starts now.
    func requestLine(_ connection: OpaquePointer) {
        let deadline = Self.now() + head
        table.withLock { table in
            let key = UInt(bitPattern: connection)
            guard var entry = table[key], entry.phase == .idle else { return }
            entry.phase = .head
            entry.deadline = deadline
            table[key] = entry
        }
    }

    /// The head is complete: the request is the handler's now (bodies and waits have their own limits).
    func headComplete(_ connection: OpaquePointer) {
        table.withLock { $0[UInt(bitPattern: connection)]?.phase = .busy }
    }

    func requestDone(_ connection: OpaquePointer) {
        let deadline = Self.now() + idle
        table.withLock { table in
            let key = UInt(bitPattern: connection)
            guard var entry = table[key] else { return }
            entry.phase = .idle
            entry.deadline = deadline
            table[key] = entry
        }
    }

    /// Shuts down every connection past its deadline; returns how many. Under the lock, so a
    /// closed connection's fd (which MHD may reuse) is never touched.
    @discardableResult
    func enforce() -> Int {
        let now = Self.now()
        return table.withLock { table in
            var cut = 0
            for (key, entry) in table where entry.phase != .busy && now > entry.deadline {
                shutdownSocket(entry.fd)
                table[key]?.phase = .busy
                cut += 1
            }
            return cut
        }
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
