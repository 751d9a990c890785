import Synchronization

/// The pool behind `StateDirectory`'s recycling: names of emptied sandbox directories in
/// `spare/`, each a counter. A slot is reserved before the rename into the pool, so the
/// pool never holds more than `limit` directories, however many deletes run at once.
final class SpareDirectories: Sendable {
    /// Enough for the sandboxes a busy server starts and deletes within moments; more would only
    /// keep empty inodes around.
    static let limit = 64

    private let state = Mutex(Pool())

    private struct Pool {
        var ready: [String] = []
        var reserved = 0
        var counter = 0
    }

    /// A spare directory, now the caller's, or nil when the pool is empty.
    func take() -> String? {
        state.withLock { $0.ready.popLast() }
    }

    /// A fresh name to rename a directory to, or nil when the pool is full.
    func reserve() -> String? {
        state.withLock { pool in
            guard pool.ready.count + pool.reserved < Self.limit else { return nil }
            pool.reserved += 1
            pool.counter += 1
            return String(pool.counter)
        }
    }

    /// The directory reserved by `reserve` is now there.
    func put(_ name: String) {
        state.withLock { pool in
            pool.reserved -= 1
            pool.ready.append(name)
        }
    }

    /// The rename after `reserve` failed.
    func cancel() {
        state.withLock { $0.reserved -= 1 }
    }
}
