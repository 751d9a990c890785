import CNamespace
import Foundation
import Synchronization

/// A child process started with posix_spawn: the part of Foundation's `Process` these tests use.
/// Foundation's `Process.run()` was seen to crash now and then in a memcpy inside it (an overread
/// in its own code), so the tests start their processes themselves.
final class ChildProcess: @unchecked Sendable {
    enum TerminationReason { case exit, uncaughtSignal }

    var executableURL: URL?
    var arguments: [String] = []
    var environment: [String: String]?
    /// A `Pipe` or a `FileHandle` (`FileHandle.nullDevice` included).
    var standardOutput: Any?
    var standardError: Any?

    private let status = Mutex<(pid: pid_t, exited: Int32?)>((0, nil))

    var processIdentifier: Int32 { status.withLock { $0.pid } }

    func run() throws {
        guard let path = executableURL?.path else { throw CocoaError(.fileNoSuchFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        posix_spawn_file_actions_adddup2(&actions, devnull, 0)
        posix_spawn_file_actions_adddup2(&actions, Self.fd(of: standardOutput) ?? devnull, 1)
        posix_spawn_file_actions_adddup2(&actions, Self.fd(of: standardError) ?? devnull, 2)
        // Only 0-2: the test process holds hundreds of sockets of concurrent tests, which would
        // otherwise live on in the child (and count as the server's own fds).
        nsd_spawn_close_from(&actions, 3)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, env)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        status.withLock { $0 = (pid, nil) }
        // Like Foundation: the parent's copy of a pipe's write end must go, or readers never see EOF.
        for stream in [standardOutput, standardError] { (stream as? Pipe)?.fileHandleForWriting.closeFile() }
    }

    private static func fd(of stream: Any?) -> Int32? {
        switch stream {
        case let pipe as Pipe: return pipe.fileHandleForWriting.fileDescriptor
        case let handle as FileHandle: return handle.fileDescriptor
        default: return nil
        }
    }

    /// Reaps the child if it has exited (blocking when `block`).
    private func reap(block: Bool) -> Int32? {
        status.withLock { state in
            if let exited = state.exited { return exited }
            guard state.pid > 0 else { return nil }
            var raw: Int32 = 0
            let rc = waitpid(state.pid, &raw, block ? 0 : WNOHANG)
            guard rc == state.pid else { return nil }
            state.exited = raw
            return raw
        }
    }

    var isRunning: Bool { processIdentifier > 0 && reap(block: false) == nil }

    func waitUntilExit() {
        while processIdentifier > 0, reap(block: false) == nil { usleep(5_000) }
    }

    func terminate() {
        let pid = processIdentifier
        if pid > 0, reap(block: false) == nil { kill(pid, SIGTERM) }
    }

    private var raw: Int32 { reap(block: false) ?? 0 }
    var terminationReason: TerminationReason { (raw & 0x7f) == 0 ? .exit : .uncaughtSignal }
    var terminationStatus: Int32 { (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f }
}
