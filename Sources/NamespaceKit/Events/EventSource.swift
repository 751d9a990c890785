import Synchronization

/// Hands each change to every subscriber, on the thread that made the change. Subscribers must
/// return quickly (queue the event, never wait): a create, an exit or a delete is calling.
public final class EventSource: Sendable {
    public typealias Subscriber = @Sendable (ChangeEvent) -> Void

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextToken = Atomic<UInt64>(0)

    public init() {}

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[token] = subscriber }
        return token
    }

    public func unsubscribe(_ token: UInt64) {
        _ = subscribers.withLock { $0.removeValue(forKey: token) }
    }

    public func publish(_ event: ChangeEvent) {
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber(event) }
    }
}
