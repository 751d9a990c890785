#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import Foundation
import Synchronization

/// One thread that watches every sandbox's pidfd with epoll and reaps the init the moment it
/// exits, so no zombie waits for a client to ask.
final class Reaper: Sendable {
    typealias OnExit = @Sendable (_ id: String, _ status: nsd_wait_status) -> Void

    private let epoll: Int32
    private let watched = Mutex<[Int32: String]>([:])
    private let onExit: OnExit

    init(onExit: @escaping OnExit) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        self.onExit = onExit
        let thread = Thread { [self] in self.loop() }
        thread.name = "sandbox-reaper"
        thread.start()
    }

    /// Watches a pidfd the registry owns; an init that already exited is reported at once.
    func watch(pidfd: Int32, id: String) {
        watched.withLock { $0[pidfd] = id }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = pidfd
        epoll_ctl(epoll, EPOLL_CTL_ADD, pidfd, &event)
    }

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            if count < 0 { continue }
            for event in events.prefix(Int(count)) {
                let fd = event.data.fd
                // Stop watching before the registry closes the fd, so a reused number is never confused.
                epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
                guard let id = watched.withLock({ $0.removeValue(forKey: fd) }) else { continue }
                var status = nsd_wait_status()
                _ = nsd_pidfd_wait(fd, 0, &status)
                onExit(id, status)
            }
        }
    }
}
