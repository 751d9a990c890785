#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Synchronization

public struct AccessLogError: Error, CustomStringConvertible {
    public var description: String
}

/// The access log: one JSON line per request (`AccessLogLine`), kept in memory by the request
/// (`AccessLogBuffer`) and written by one thread in batches, at the latest `flushSeconds` after it
/// was made and at `close`. When the writer cannot keep up, lines are dropped and counted in
/// `ServerStatistics`, and requests go on at full speed.
public final class AccessLog: Sendable {
    public enum Destination: Sendable, Equatable {
        /// File descriptor 1 as it is when the log is made, which the log shares with nothing
        /// else the server writes.
        case standardOutput
        /// Opened for appending (created 0640, less the umask); `reopen` opens the path again.
        case file(String)
    }

    /// Where lines go now; the writer holds the lock while it writes a batch.
    private struct Output {
        var fd: Int32
        /// A pipe, socket or terminal may be shared with other writers (a journal stream gets
        /// stderr too): writes to it stay within PIPE_BUF and end at a line's end, so that no
        /// line is ever split by another writer's bytes. A regular file takes a batch in one write.
        var lineAligned: Bool
    }

    public let destination: Destination
    private let buffer: AccessLogBuffer
    private let output: Mutex<Output>
    private let statistics: ServerStatistics
    private let flushSeconds: Double
    private let finished = DispatchSemaphore(value: 0)
    private let closing = Atomic<Bool>(false)

    /// - Parameter bufferBytes: memory for waiting lines, twice over (one half filling, one
    ///   being written). At about 200 bytes a line the default holds some 10,000: a quarter of a
    ///   second at 40,000 requests a second, more than the kernel makes a writer wait when it
    ///   throttles dirty pages.
    public init(
        destination: Destination, statistics: ServerStatistics, bufferBytes: Int = 2 << 20, flushSeconds: Double = 1
    ) throws(AccessLogError) {
        self.destination = destination
        self.statistics = statistics
        self.flushSeconds = flushSeconds
        buffer = AccessLogBuffer(capacity: bufferBytes)
        switch destination {
        case .standardOutput:
            let fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
            guard fd >= 0 else {
                throw AccessLogError(description: "no standard output for the access log: \(String(cString: strerror(errno)))")
            }
            output = Mutex(Output(fd: fd, lineAligned: !Self.isRegularFile(fd)))
        case .file(let path): output = Mutex(try Self.open(path))
        }
        let thread = Thread { [self] in
            Self.nameThisThread("access-log")
            writeBatches()
        }
        thread.start()
    }

    /// Adds the line of one answered request; never waits for the writer. A line that finds the
    /// buffer full is dropped and counted at once, so that a stuck writer shows in the metrics.
    public func record(_ request: Request, status: Int, bytes: Int?, microseconds: UInt64) {
        let route = request.context.route
        let principal = request.context.principal
        withUnsafeTemporaryAllocation(byteCount: AccessLogLine.capacity, alignment: 16) { memory in
            let line = AccessLogLine(
                into: memory, request: request, status: status, bytes: bytes, microseconds: microseconds, route: route,
                principal: principal)
            if !buffer.append(line.bytes) { statistics.accessLogDropped.add(1, ordering: .relaxed) }
        }
    }

    /// Opens the file again (SIGHUP after logrotate moved it); later batches go to the new file.
    /// If the path cannot be opened, the current file stays in use.
    public func reopen() throws(AccessLogError) {
        guard case .file(let path) = destination, !closing.load(ordering: .relaxed) else { return }
        let fresh = try Self.open(path)
        let unused = output.withLock { current -> Int32 in
            guard current.fd >= 0 else { return fresh.fd }  // the writer has finished meanwhile
            defer { current = fresh }
            return current.fd
        }
        Glibc.close(unused)
    }

    /// Writes what is still buffered and stops the writer, which then closes the file; waits at
    /// most `seconds` for it (a pipe nobody reads must not hold up the server's exit).
    public func close(waitingAtMost seconds: Double = 5) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        buffer.close()
        _ = finished.wait(timeout: .now() + seconds)
    }

    private func writeBatches() {
        while true {
            let batch = buffer.take(waitingAtMost: flushSeconds)
            if batch.lines > 0 {
                let unwritten = output.withLock { Self.write(batch.bytes, to: $0) }
                statistics.accessLogLines.add(batch.lines - unwritten, ordering: .relaxed)
                if unwritten > 0 { statistics.accessLogDropped.add(unwritten, ordering: .relaxed) }
            }
            if batch.closing { break }
        }
        output.withLock { current in
            Glibc.close(current.fd)
            current.fd = -1
        }
        finished.signal()
    }

    /// Writes `bytes`; returns how many lines could not be written (wholly).
    private static func write(_ bytes: UnsafeRawBufferPointer, to output: Output) -> Int {
        var rest = bytes
        while !rest.isEmpty {
            var size = rest.count
            if output.lineAligned, size > Int(PIPE_BUF) {
                // Up to the last line end within PIPE_BUF; a longer line goes alone.
                let window = UnsafeRawBufferPointer(rebasing: rest[0..<Int(PIPE_BUF)])
                if let end = window.lastIndex(of: 10) {
                    size = end + 1
                } else if let end = rest.firstIndex(of: 10) {
                    size = end + 1
                }
            }
            let written = Glibc.write(output.fd, rest.baseAddress, size)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return rest.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
            rest = UnsafeRawBufferPointer(rebasing: rest[written...])
        }
        return 0
    }

    /// What `top -H` and /proc show for the writer (Foundation's Thread.name does not reach the
    /// kernel on Linux, and the Glibc module has no pthread_setname_np).
    private static func nameThisThread(_ name: StaticString) {
        let fd = Glibc.open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Glibc.write(fd, name.utf8Start, name.utf8CodeUnitCount)
        Glibc.close(fd)
    }

    private static func open(_ path: String) throws(AccessLogError) -> Output {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw AccessLogError(description: "cannot open the access log \(path): \(String(cString: strerror(errno)))")
        }
        return Output(fd: fd, lineAligned: !isRegularFile(fd))
    }

    private static func isRegularFile(_ fd: Int32) -> Bool {
        var facts = stat()
        return fstat(fd, &facts) == 0 && facts.st_mode & S_IFMT == S_IFREG
    }
}
