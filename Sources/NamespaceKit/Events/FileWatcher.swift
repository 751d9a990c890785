#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import SystemPackage

/// One inotify instance and one thread for every file the server follows: a followed log costs a
/// watch, not a thread. Callbacks run on the watcher's thread and must only wake someone.
final class FileWatcher: Sendable {
    static let shared = FileWatcher()

    private struct Watches {
        var callbacks: [Int32: [UInt64: @Sendable () -> Void]] = [:]
        var next: UInt64 = 0
    }

    struct Token: Sendable {
        let descriptor: Int32
        let key: UInt64
    }

    private let inotify: Int32
    private let watches = Mutex(Watches())

    private init() {
        inotify = inotify_init1(Int32(IN_CLOEXEC))
        let thread = Thread { [self] in loop() }
        thread.name = "file-watcher"
        if inotify >= 0 { thread.start() }
    }

    /// Calls `changed` whenever the open file is written to, or goes away. Nil when inotify refuses.
    func watch(_ file: FileDescriptor, _ changed: @escaping @Sendable () -> Void) -> Token? {
        guard inotify >= 0 else { return nil }
        // The open descriptor's magic link names the very file already opened: no path is looked up again.
        let mask = UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
        return watches.withLock { w -> Token? in
            let descriptor = inotify_add_watch(inotify, "/proc/self/fd/\(file.rawValue)", mask)
            guard descriptor >= 0 else { return nil }
            w.next += 1
            w.callbacks[descriptor, default: [:]][w.next] = changed
            return Token(descriptor: descriptor, key: w.next)
        }
    }

    func unwatch(_ token: Token) {
        watches.withLock { w in
            w.callbacks[token.descriptor]?[token.key] = nil
            if w.callbacks[token.descriptor]?.isEmpty == true {
                w.callbacks[token.descriptor] = nil
                inotify_rm_watch(inotify, token.descriptor)
            }
        }
    }

    private func loop() {
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        while true {
            let count = read(inotify, buffer, size)
            if count <= 0 { continue }
            var offset = 0
            var touched = Set<Int32>()
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                touched.insert(event.wd)
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
            let callbacks = watches.withLock { w in touched.flatMap { w.callbacks[$0].map { Array($0.values) } ?? [] } }
            callbacks.forEach { $0() }
        }
    }
}
