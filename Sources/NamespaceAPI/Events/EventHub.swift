import Foundation
import HTTPServer
import NamespaceKit
import Synchronization

/// Numbers every change, keeps the recent ones for resuming listeners, and writes each to the
/// listeners that want it. One thread rescans the namespaces (while anyone wants them) and sends
/// keep-alives; listeners themselves cost no thread: each is a suspended connection's queue, woken
/// at most once per interval (`WakeSchedule`).
final class EventHub: Sendable {
    struct Listener {
        var stream: PushStream
        var selection: EventSelection
    }

    private struct State {
        var ring: EventRing
        var nextID: UInt64
        var listeners: [UInt64: Listener] = [:]
        var nextListener: UInt64 = 0
        var wakes = WakeSchedule()
    }

    private let state: Mutex<State>
    private let listenerBuffer: Int
    private let sendBuffer: Int
    /// Called for each listener dropped because it let more than its buffer wait.
    private let onDrop: @Sendable () -> Void
    private let started = Atomic<Bool>(false)
    private let watch: Mutex<NamespaceWatch>
    private let rescanSeconds: Double
    private let keepAliveSeconds: Double
    /// Runs the wakes `WakeSchedule` puts off.
    private let wakeQueue = DispatchQueue(label: "event-wakes")

    /// - Parameter listenerBuffer: bytes a listener may let wait before it is dropped.
    init(
        source: EventSource, inventory: Inventory, ringCapacity: Int = 10_000, listenerBuffer: Int = 1 << 20,
        sendBuffer: Int = 64 * 1024, rescanSeconds: Double = 1, keepAliveSeconds: Double = 15,
        onDrop: @escaping @Sendable () -> Void = {}
    ) {
        self.onDrop = onDrop
        // Ids start from the clock (milliseconds, times 1,000), so an id from an earlier run of the
        // server is always older than this run's ring and gets a reset, never a wrong replay.
        let first = UInt64(Date().timeIntervalSince1970 * 1000) * 1000
        state = Mutex(State(ring: EventRing(capacity: ringCapacity), nextID: first))
        self.listenerBuffer = listenerBuffer
        self.sendBuffer = sendBuffer
        self.rescanSeconds = rescanSeconds
        self.keepAliveSeconds = keepAliveSeconds
        watch = Mutex(NamespaceWatch(inventory: inventory))
        _ = source.subscribe { [weak self] event in self?.publish(event) }
    }

    var listenerCount: Int { state.withLock { $0.listeners.count } }

    func publish(_ event: ChangeEvent) {
        let data = EventFrame.data(of: event)
        let name = event.name
        let bit = EventSelection.bit(of: name)
        let wakeNow = state.withLock { s -> Bool in
            let frame = EventFrame(id: s.nextID, name: name, data: data)
            s.nextID += 1
            s.ring.append(frame)
            // Written under the lock, so that every listener sees ids in order; a write only queues.
            for (key, listener) in s.listeners where listener.selection.contains(bit: bit) {
                if !listener.stream.write(frame.bytes, wake: false) { drop(key, listener, &s) }
            }
            return arrangeWake(&s)
        }
        if wakeNow { wakeListeners() }
    }

    /// After writes: true to wake the listeners now; otherwise a wake is arranged for later.
    private func arrangeWake(_ s: inout State) -> Bool {
        guard !s.listeners.isEmpty else { return false }
        let now = Self.now()
        switch s.wakes.written(at: now, interval: WakeSchedule.interval(listeners: s.listeners.count)) {
        case .now:
            return true
        case .pending:
            return false
        case .at(let time):
            // `written` answers a time after `now`, on the same clock reading.
            wakeQueue.asyncAfter(deadline: .now() + .nanoseconds(Int(time - now))) { [weak self] in
                guard let self else { return }
                state.withLock { $0.wakes.woke(at: Self.now()) }
                wakeListeners()
            }
            return false
        }
    }

    /// Outside the lock: a wake resumes a connection, which is a system call.
    private func wakeListeners() {
        for stream in state.withLock({ $0.listeners.values.map(\.stream) }) { stream.wake() }
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// A new listener: the events after `lastID` it wants (or a reset), then every new one.
    func listen(after lastID: UInt64?, selection: EventSelection) -> Response {
        startPump()
        let stream = PushStream(limit: listenerBuffer)
        let key = state.withLock { s -> UInt64 in
            stream.write(EventFrame.preamble)
            let latest = s.nextID - 1
            if let lastID {
                let oldest = s.ring.oldestID ?? s.nextID
                if lastID + 1 < oldest || lastID > latest {
                    let reset = EventFrame.Reset(
                        reason: lastID > latest ? "unknown-id" : "older-than-ring",
                        lastEventId: lastID, oldest: oldest, latest: latest)
                    stream.write(EventFrame(id: latest, name: "reset", data: (try? JSON.encode(reset)) ?? []).bytes)
                } else {
                    for frame in s.ring.after(lastID) where selection.contains(frame.name) { stream.write(frame.bytes) }
                }
            }
            s.nextListener += 1
            s.listeners[s.nextListener] = Listener(stream: stream, selection: selection)
            return s.nextListener
        }
        stream.onDetach { [weak self] in self?.forget(key) }
        return Response.stream(stream, contentType: "text/event-stream", sendBuffer: sendBuffer)
            .adding("X-Accel-Buffering", "no")
    }

    private func forget(_ key: UInt64) {
        _ = state.withLock { $0.listeners.removeValue(forKey: key) }
    }

    private func drop(_ key: UInt64, _ listener: Listener, _ s: inout State) {
        s.listeners[key] = nil
        if listener.stream.overflowed { onDrop() }
    }

    private func keepAlive() {
        let wakeNow = state.withLock { s -> Bool in
            for (key, listener) in s.listeners where !listener.stream.write(EventFrame.keepAlive, wake: false) {
                drop(key, listener, &s)
            }
            return arrangeWake(&s)
        }
        if wakeNow { wakeListeners() }
    }

    /// Whether anyone listens for what a rescan finds.
    private var wantsRescan: Bool {
        state.withLock { s in
            s.listeners.values.contains { $0.selection.wantsRescan }
        }
    }

    private func startPump() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let interval = rescanSeconds
        let keepAliveEvery = keepAliveSeconds
        // Holds the hub only while it works, so a hub nobody uses any more ends its thread.
        let thread = Thread { [weak self] in
            var sinceKeepAlive = 0.0
            while true {
                Thread.sleep(forTimeInterval: interval)
                guard let hub = self else { return }
                if hub.wantsRescan {
                    for event in hub.watch.withLock({ $0.poll() }) { hub.publish(event) }
                } else {
                    hub.watch.withLock { $0.reset() }
                }
                sinceKeepAlive += interval
                if sinceKeepAlive >= keepAliveEvery {
                    sinceKeepAlive = 0
                    hub.keepAlive()
                }
            }
        }
        thread.name = "event-pump"
        thread.start()
    }
}
