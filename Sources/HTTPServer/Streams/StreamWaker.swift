#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import Synchronization

/// Suspends a streaming connection when its source has nothing to send and resumes it when the
/// source says there may be more. A wake that comes between a read that found nothing and the
/// suspension is remembered, so it is never lost.
public final class StreamWaker: Sendable {
    private struct State {
        var suspended = false
        var woken = false
        var ending: Ending?
    }

    enum Ending { case finish, abort }

    private let connection: ConnectionHandle
    private let socket: Int32
    private let state = Mutex(State())

    init(connection: ConnectionHandle, socket: Int32) {
        self.connection = connection
        self.socket = socket
    }

    /// There may be more to read: resume the connection if it waits.
    public func wake() {
        let resume = state.withLock { s -> Bool in
            s.woken = true
            guard s.suspended else { return false }
            s.suspended = false
            return true
        }
        if resume { MHD_resume_connection(connection.pointer) }
    }

    /// Gives up on the client now: a connection blocked on a full socket is not read from again,
    /// so shutting the socket down is what makes MHD close it. Call only while the source is
    /// attached (before its `detach`), when the socket is surely still this connection's.
    public func abortConnection() {
        shutdownSocket(socket)
        end(.abort)
    }

    /// Ends the stream from the server's side (stop, or the client hung up while it waited).
    func end(_ ending: Ending) {
        state.withLock { s in if s.ending == nil { s.ending = ending } }
        wake()
    }

    /// Before each read: forget earlier wakes; an ending set meanwhile wins over the source.
    func beginRead() -> Ending? {
        state.withLock { s in
            s.woken = false
            return s.ending
        }
    }

    /// After a read that found nothing: suspends unless a wake came meanwhile (then read again).
    func suspendUnlessWoken() -> Bool {
        state.withLock { s in
            guard !s.woken, s.ending == nil else { return false }
            s.suspended = true
            // Legal here: this runs inside MHD's content reader callback of this connection.
            MHD_suspend_connection(connection.pointer)
            return true
        }
    }

    var isSuspended: Bool { state.withLock { $0.suspended } }
}
