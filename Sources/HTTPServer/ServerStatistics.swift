import Synchronization

/// Live counts of the server's own resources, read by a metrics endpoint.
public final class ServerStatistics: Sendable {
    /// Connections MHD holds open now.
    public let openConnections = Atomic<Int>(0)
    /// Requests suspended until a later reply (waits, execs, deletes).
    public let suspendedWaits = Atomic<Int>(0)
    /// Streaming responses (event listeners, followed logs) open now.
    public let openStreams = Atomic<Int>(0)
    /// Access-log lines written, and lines lost (the buffer was full, or the write failed).
    public let accessLogLines = Atomic<Int>(0)
    public let accessLogDropped = Atomic<Int>(0)

    public init() {}
}
