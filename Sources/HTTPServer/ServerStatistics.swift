import Synchronization

/// Live counts of the server's own resources, read by a metrics endpoint.
public final class ServerStatistics: Sendable {
    /// Connections MHD holds open now.
    public let openConnections = Atomic<Int>(0)
    /// Requests suspended until a later reply (waits, execs, deletes).
    public let suspendedWaits = Atomic<Int>(0)
    /// Streaming responses (event listeners, followed logs) open now.
    public let openStreams = Atomic<Int>(0)

    public init() {}
}
