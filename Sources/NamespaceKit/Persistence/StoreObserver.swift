import Synchronization

/// What the registry's store measured: for a metrics endpoint, which NamespaceKit knows nothing of.
public enum StoreMeasurement: Sendable {
    case journalSync(seconds: Double)
    case snapshot(bytes: Int, seconds: Double)
}

/// Passes the store's measurements to whoever asked for them (nobody: they are dropped).
public final class StoreObserver: Sendable {
    private let handler = Mutex<(@Sendable (StoreMeasurement) -> Void)?>(nil)

    init() {}

    public func observe(_ body: @escaping @Sendable (StoreMeasurement) -> Void) {
        handler.withLock { $0 = body }
    }

    func record(_ measurement: StoreMeasurement) {
        handler.withLock { $0 }?(measurement)
    }
}
