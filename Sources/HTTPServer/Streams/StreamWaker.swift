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
    private let state = Mutex(State())

    init(connection: ConnectionHandle) {
        self.connection = connection
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
