import Synchronization

/// The pool behind `StateDirectory`'s recycling: paths of emptied sandbox directories under
/// `root`, each named by a counter. A slot is reserved before the rename into the pool, so the
/// pool never holds more than `limit` directories, however many deletes run at once.
final class SpareDirectories: Sendable {
    /// Enough for the sandboxes a busy server starts and deletes within moments; more would only
    /// keep empty inodes around.
    static let limit = 64

    let root: String
    private let state = Mutex(Pool())

    private struct Pool {
        var ready: [String] = []
        var reserved = 0
        var counter = 0
    }

    init(root: String) {
        self.root = root
    }

    /// A spare directory, now the caller's, or nil when the pool is empty.
    func take() -> String? {
        state.withLock { $0.ready.popLast() }
    }

    /// A fresh path to rename a directory to, or nil when the pool is full.
    func reserve() -> String? {
        state.withLock { pool in
            guard pool.ready.count + pool.reserved < Self.limit else { return nil }
            pool.reserved += 1
            pool.counter += 1
            return "\(root)/\(pool.counter)"
        }
    }

    /// The directory reserved by `reserve` is now at `path`.
    func put(_ path: String) {
        state.withLock { pool in
            pool.reserved -= 1
            pool.ready.append(path)
        }
    }

    /// The rename after `reserve` failed.
    func cancel() {
        state.withLock { $0.reserved -= 1 }
    }
}
