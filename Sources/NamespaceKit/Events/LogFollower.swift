import Synchronization
import SystemPackage

/// A sandbox's log read as it grows, until the sandbox has exited and the last byte is read.
/// Growth is noticed through inotify, the end through the sandbox's exit event: nothing polls.
public final class LogFollower: Sendable {
    public enum Read: Sendable, Equatable {
        case bytes(Int)
        /// Nothing new yet: the `onChange` callback will say when to read again.
        case nothingYet
        case finished
    }

    private struct State {
        var offset: Int64 = 0
        var exited: Bool
        var closed = false
        var onChange: (@Sendable () -> Void)?
        var watch: FileWatcher.Token?
        var subscription: UInt64?
    }

    private let file: FileDescriptor
    private let events: EventSource
    private let state: Mutex<State>

    init(file: FileDescriptor, sandboxID: String, exited: Bool, events: EventSource) {
        self.file = file
        self.events = events
        state = Mutex(State(exited: exited))
        // Subscribed before the caller looks again at the state: an exit is either seen there or told here.
        let subscription = events.subscribe { [weak self] event in
            if case .sandboxExited(let sandbox) = event, sandbox.id == sandboxID { self?.markExited() }
        }
        let watch = FileWatcher.shared.watch(file) { [weak self] in self?.changed() }
        state.withLock {
            $0.subscription = subscription
            $0.watch = watch
        }
    }

    /// Who to call when there may be more to read (or the end has come).
    public func onChange(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.onChange = body }
    }

    func markExited() {
        state.withLock { $0.exited = true }
        changed()
    }

    private func changed() {
        state.withLock { $0.onChange }?()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Read {
        // The exit is read before the file: bytes written before the exit are then surely in it.
        let (offset, exited, closed) = state.withLock { ($0.offset, $0.exited, $0.closed) }
        if closed { return .finished }
        let count = (try? file.read(fromAbsoluteOffset: offset, into: buffer)) ?? 0
        if count > 0 {
            state.withLock { $0.offset += Int64(count) }
            return .bytes(count)
        }
        return exited ? .finished : .nothingYet
    }

    /// Stops watching and closes the file.
    public func close() {
        let (watch, subscription, wasClosed) = state.withLock { s in
            defer {
                s.closed = true
                s.watch = nil
                s.subscription = nil
                s.onChange = nil
            }
            return (s.watch, s.subscription, s.closed)
        }
        guard !wasClosed else { return }
        if let watch { FileWatcher.shared.unwatch(watch) }
        if let subscription { events.unsubscribe(subscription) }
        try? file.close()
    }
}
