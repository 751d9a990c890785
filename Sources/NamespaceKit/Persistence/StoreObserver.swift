import Synchronization

/// What the registry's store measured: for a metrics endpoint, which NamespaceKit knows nothing of.
public enum StoreMeasurement: Sendable {
    case journalSync(seconds: Double)
    case snapshot(bytes: Int, seconds: Double)
}

/// Passes the store's measurements to whoever asked for them (nobody: they are dropped).
public final class StoreObserver: Sendable {
    /// The handler sits in a class, not straight in the Mutex: a function value in the Mutex's
    /// generic storage is re-wrapped in conversion thunks by every `withLock` that hands it out
    /// as `inout`, so each measurement would call through a longer chain than the last.
    private final class Handler: Sendable {
        let body: @Sendable (StoreMeasurement) -> Void
        init(_ body: @escaping @Sendable (StoreMeasurement) -> Void) { self.body = body }
    }

    private let handler = Mutex<Handler?>(nil)

    init() {}

    public func observe(_ body: @escaping @Sendable (StoreMeasurement) -> Void) {
        let made = Handler(body)
        handler.withLock { $0 = made }
    }

    func record(_ measurement: StoreMeasurement) {
        handler.withLock { $0 }?.body(measurement)
    }
}
