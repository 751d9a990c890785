/// What a stream's reader found when asked for more bytes.
public enum StreamRead: Sendable, Equatable {
    /// This many bytes were written into the buffer (at least one).
    case data(Int)
    /// Nothing now; the source calls its waker when there may be more.
    case pending
    /// The body is complete.
    case end
    /// The body cannot go on (an overflowed listener, a vanished file): the connection is closed.
    case abort
}

/// A response body produced over time. The server pulls from it when the client's socket can take
/// more; when the source has nothing, the connection is suspended (no thread waits for it) until
/// the source calls `wake()` on the waker it was attached to.
public protocol StreamSource: Sendable {
    /// Called once, before the first read, with the waker of the connection.
    func attach(_ waker: StreamWaker)
    /// Fills the front of `buffer`; called on one of the server's threads, never concurrently.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamRead
    /// The connection is gone (finished, dropped, or hung up): release what the source holds.
    func detach()
}
