import Synchronization

/// A stream fed by writes from any thread (an event fan-out). A writer never blocks: when the
/// client does not read and more than `limit` bytes wait, the stream is dropped (the connection
/// is closed) and every later write answers false.
public final class PushStream: StreamSource {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var offset = 0
        var pending = 0
        var overflowed = false
        var finished = false
        var detached = false
        var waker: StreamWaker?
        var onDetach: [@Sendable () -> Void] = []
    }

    public let limit: Int
    private let state = Mutex(State())

    /// - Parameter limit: bytes that may wait for a slow client before it is dropped.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Queues `bytes`; false when the stream is over (dropped now or before, finished, or closed).
    /// With `wake` false the connection is not told yet: the writer calls `wake()` later, once for
    /// several writes.
    @discardableResult
    public func write(_ bytes: [UInt8], wake: Bool = true) -> Bool {
        let (accepted, waker) = state.withLock { s -> (Bool, StreamWaker?) in
            guard !s.overflowed, !s.finished, !s.detached else { return (false, nil) }
            guard s.pending + bytes.count <= limit else {
                s.overflowed = true
                s.chunks = []
                s.head = 0
                s.pending = 0
                // Under the lock: `detach` (after which the socket may be another's) cannot run meanwhile.
                s.waker?.abortConnection()
                return (false, nil)
            }
            s.chunks.append(bytes)
            s.pending += bytes.count
            return (true, wake ? s.waker : nil)
        }
        waker?.wake()
        return accepted
    }

    /// Tells the connection that bytes wait for it, if any do.
    public func wake() {
        state.withLock { $0.pending > 0 ? $0.waker : nil }?.wake()
    }

    /// No more writes: the body ends once what is queued is sent.
    public func finish() {
        let waker = state.withLock { s -> StreamWaker? in
            s.finished = true
            return s.waker
        }
        waker?.wake()
    }

    /// Runs `body` once the connection is gone (at once if it is gone already).
    public func onDetach(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.detached { return true }
            s.onDetach.append(body)
            return false
        }
        if now { body() }
    }

    /// True once the stream was dropped for letting more than `limit` bytes wait.
    public var overflowed: Bool { state.withLock { $0.overflowed } }

    public var isOpen: Bool { state.withLock { !$0.overflowed && !$0.detached && !$0.finished } }

    public func attach(_ waker: StreamWaker) {
        state.withLock { $0.waker = waker }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamRead {
        state.withLock { s in
            if s.overflowed { return .abort }
            var written = 0
            while written < buffer.count, s.head < s.chunks.count {
                let chunk = s.chunks[s.head]
                let count = min(buffer.count - written, chunk.count - s.offset)
                chunk.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[written..<written + count])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[s.offset..<s.offset + count]))
                }
                written += count
                s.offset += count
                if s.offset == chunk.count {
                    s.head += 1
                    s.offset = 0
                }
            }
            s.pending -= written
            if s.head == s.chunks.count {
                // Storage released, not kept: an idle listener holds nothing a burst once needed.
                s.chunks = []
                s.head = 0
            } else if s.head > 64 {
                s.chunks.removeFirst(s.head)
                s.head = 0
            }
            if written > 0 { return .data(written) }
            return s.finished ? .end : .pending
        }
    }

    public func detach() {
        let callbacks = state.withLock { s -> [@Sendable () -> Void] in
            s.detached = true
            s.chunks = []
            s.waker = nil
            defer { s.onDetach = [] }
            return s.onDetach
        }
        callbacks.forEach { $0() }
    }
}
