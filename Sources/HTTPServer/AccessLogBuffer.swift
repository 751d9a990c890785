#if canImport(Glibc)
import Glibc
#endif

/// Access-log lines between the requests that make them and the one thread that writes them: two
/// buffers allocated once, one filled by requests while the writer empties the other. Appending
/// is a copy under a lock, never an allocation or a system call (but for one wake-up per batch);
/// a line that does not fit is refused, so that a request never waits for the disk.
final class AccessLogBuffer: @unchecked Sendable {
    /// What the writer takes in one go.
    struct Batch {
        /// Valid until the next `take`.
        var bytes: UnsafeRawBufferPointer
        var lines: Int
        /// `close` was called: this is the last batch.
        var closing: Bool
    }

    let capacity: Int
    /// The writer is woken early once this much waits, so that a busy server's batches leave room.
    private let wakeMark: Int
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let filled = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `lock`: `filling` belongs to the requests, `draining` to the writer between takes.
    private var filling: UnsafeMutableRawBufferPointer
    private var draining: UnsafeMutableRawBufferPointer
    private var used = 0
    private var lines = 0
    private var wakeSent = false
    private var closing = false

    init(capacity: Int) {
        self.capacity = capacity
        self.wakeMark = capacity / 4
        filling = .allocate(byteCount: capacity, alignment: 16)
        draining = .allocate(byteCount: capacity, alignment: 16)
        pthread_mutex_init(lock, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(filled, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(filled)
        pthread_mutex_destroy(lock)
        filled.deallocate()
        lock.deallocate()
        filling.deallocate()
        draining.deallocate()
    }

    /// Copies one line in; false when it did not fit.
    func append(_ line: UnsafeRawBufferPointer) -> Bool {
        pthread_mutex_lock(lock)
        guard used + line.count <= capacity else {
            pthread_mutex_unlock(lock)
            return false
        }
        if let source = line.baseAddress, line.count > 0 {
            (filling.baseAddress! + used).copyMemory(from: source, byteCount: line.count)
        }
        used += line.count
        lines += 1
        let wake = used >= wakeMark && !wakeSent
        if wake { wakeSent = true }
        pthread_mutex_unlock(lock)
        if wake { pthread_cond_signal(filled) }
        return true
    }

    /// The writer's side: waits until a quarter of the buffer is used, `close` is called, or
    /// `seconds` have passed, then takes everything appended so far (possibly nothing).
    func take(waitingAtMost seconds: Double) -> Batch {
        pthread_mutex_lock(lock)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + Int(seconds * 1e9)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while !wakeSent, !closing {
            if pthread_cond_timedwait(filled, lock, &deadline) == ETIMEDOUT { break }
        }
        swap(&filling, &draining)
        let batch = Batch(
            bytes: UnsafeRawBufferPointer(rebasing: draining[0..<used]), lines: lines, closing: closing)
        used = 0
        lines = 0
        wakeSent = false
        pthread_mutex_unlock(lock)
        return batch
    }

    /// Wakes the writer for its last batch.
    func close() {
        pthread_mutex_lock(lock)
        closing = true
        pthread_mutex_unlock(lock)
        pthread_cond_signal(filled)
    }
}
