#if canImport(Glibc)
import Glibc
#endif
import CHTTPShim
import CMicroHTTPD
import Synchronization

/// One streaming response on one connection: MHD's content reader pulls from the source here.
final class StreamConnection: Sendable {
    let source: any StreamSource
    let waker: StreamWaker
    let key: UInt64
    let socket: Int32
    private let table: StreamConnections

    init(source: any StreamSource, waker: StreamWaker, key: UInt64, socket: Int32, table: StreamConnections) {
        self.source = source
        self.waker = waker
        self.key = key
        self.socket = socket
        self.table = table
    }

    /// MHD's content reader contract: bytes, 0 (suspended), or the end markers.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            switch waker.beginRead() {
            case .finish?: return Int(MHD_CONTENT_READER_END_OF_STREAM)
            case .abort?: return Int(MHD_CONTENT_READER_END_WITH_ERROR)
            case nil: break
            }
            switch source.read(into: buffer) {
            case .data(let count): return count
            case .end: return Int(MHD_CONTENT_READER_END_OF_STREAM)
            case .abort: return Int(MHD_CONTENT_READER_END_WITH_ERROR)
            case .pending: if waker.suspendUnlessWoken() { return 0 }
            }
        }
    }

    func closed() {
        table.remove(key)
        source.detach()
    }
}

/// Every open streaming response, so that the server can end them all when it stops and notice
/// clients that hang up while their stream waits (MHD does not watch a suspended connection).
final class StreamConnections: Sendable {
    private let open = Mutex<[UInt64: StreamConnection]>([:])
    private let nextKey = Atomic<UInt64>(0)
    private let statistics: ServerStatistics

    init(statistics: ServerStatistics) {
        self.statistics = statistics
    }

    func newKey() -> UInt64 { nextKey.add(1, ordering: .relaxed).newValue }

    func add(_ stream: StreamConnection) {
        open.withLock { table in
            table[stream.key] = stream
            statistics.openStreams.store(table.count, ordering: .relaxed)
        }
    }

    func remove(_ key: UInt64) {
        open.withLock { table in
            table.removeValue(forKey: key)
            statistics.openStreams.store(table.count, ordering: .relaxed)
        }
    }

    var count: Int { open.withLock { $0.count } }

    /// Waiting streams whose peer has closed its end are ended, so their slot and fd are freed now.
    func endHungUp() {
        let waiting = open.withLock { table in table.values.filter { $0.waker.isSuspended } }
        guard !waiting.isEmpty else { return }
        var fds = waiting.map { pollfd(fd: $0.socket, events: Int16(NSD_POLLRDHUP), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), 0) > 0 else { return }
        let gone = Int16(Int32(NSD_POLLRDHUP) | POLLHUP | POLLERR | POLLNVAL)
        // Ended as if complete: nobody is there to tell an error, and MHD then closes without logging one.
        for (stream, polled) in zip(waiting, fds) where polled.revents & gone != 0 { stream.waker.end(.finish) }
    }

    /// Ends every stream cleanly and waits, briefly, until MHD has closed them: MHD must not be
    /// stopped while a connection is suspended.
    func endAll() {
        for stream in open.withLock({ Array($0.values) }) { stream.waker.end(.finish) }
        var waited = 0
        while count > 0, waited < 300 {
            usleep(10_000)
            waited += 1
        }
    }
}

let streamReader: MHD_ContentReaderCallback = { context, _, buffer, max in
    guard let context, let buffer else { return Int(MHD_CONTENT_READER_END_WITH_ERROR) }
    let stream = Unmanaged<StreamConnection>.fromOpaque(context).takeUnretainedValue()
    return stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
}

let streamClosed: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let stream = Unmanaged<StreamConnection>.fromOpaque(context).takeRetainedValue()
    stream.closed()
}
