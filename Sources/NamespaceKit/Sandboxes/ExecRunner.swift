#if canImport(Glibc)
import Glibc
#endif
import CNamespace
import Foundation
import SystemPackage

/// A command to run inside a running sandbox.
public struct ExecRequest: Sendable {
    public var command: [String]
    public var env: [String: String]?
    public var cwd: String?
    public var timeout: Double

    public init(command: [String], env: [String: String]?, cwd: String?, timeout: Double) {
        self.command = command
        self.env = env
        self.cwd = cwd
        self.timeout = timeout
    }
}

public struct ExecResult: Sendable, Encodable {
    @ExplicitNull public var exitCode: Int32?
    @ExplicitNull public var signal: String?
    public var stdout: String
    public var stderr: String
    public var stdoutEncoding: OutputEncoding
    public var stderrEncoding: OutputEncoding
    public var truncated: Bool

    /// How a member holds the command's bytes: as they were when they are valid UTF-8 (a JSON
    /// string can hold nothing else), else base64, so that no byte is lost or replaced.
    public enum OutputEncoding: String, Sendable, Encodable {
        case utf8 = "utf-8"
        case base64

        /// Output cut at the cap may end inside a character: that partial character is dropped
        /// (the result says `truncated` anyway) rather than turning the whole text into base64.
        static func encode(_ bytes: [UInt8], truncated: Bool) -> (String, OutputEncoding) {
            for cut in 0...(truncated ? 3 : 0) where cut <= bytes.count {
                if let text = String(validating: bytes.dropLast(cut), as: UTF8.self) { return (text, .utf8) }
            }
            return (Data(bytes).base64EncodedString(), .base64)
        }
    }
}

extension SandboxManager {
    public static let execOutputCap = 1 << 20
    /// Execs running at once; each holds a thread, two pipes and a process.
    public static let execLimit = 64

    /// Runs the exec on a thread of its own (an exec may take minutes) and calls `completion` with
    /// the result; refuses at once when `execLimit` execs are already running.
    public func exec(
        _ reference: String, _ request: ExecRequest,
        completion: @escaping @Sendable (Result<ExecResult, SandboxError>) -> Void
    ) throws(SandboxError) {
        _ = try get(reference)
        guard
            execSlots.withLock({ running in
                guard running < Self.execLimit else { return false }
                running += 1
                return true
            })
        else { throw .execLimit(Self.execLimit) }
        let thread = Thread { [self] in
            defer { execSlots.withLock { $0 -= 1 } }
            do throws(SandboxError) { completion(.success(try exec(reference, request))) } catch { completion(.failure(error)) }
        }
        thread.name = "exec"
        thread.start()
    }

    /// Joins every namespace of the sandbox (and its root), runs the command, collects its output
    /// up to the cap, and kills it when the timeout passes. Blocks: call it off the HTTP threads.
    public func exec(_ reference: String, _ request: ExecRequest) throws(SandboxError) -> ExecResult {
        // The pidfd is duplicated under the registry lock so the reaper closing the original
        // cannot hand its number to another file mid-exec.
        let (pidfd, sandbox) = try registry.withPidfd(reference) { fd, sandbox in (fcntl(fd, F_DUPFD_CLOEXEC, 3), sandbox) }
        guard pidfd >= 0 else { throw .internalFailure("dup pidfd: \(Errno(rawValue: Glibc.errno))") }
        defer { close(pidfd) }
        let env = request.env ?? sandbox.spec.env
        let search = env["PATH"] ?? SandboxSpec.defaultPath
        guard let path = Spawner.resolve(request.command[0], path: search, root: "/proc/\(sandbox.pid)/root") else {
            throw .execFailed(
                step: "execve", errno: .noSuchFileOrDirectory,
                detail: "command '\(request.command[0])' not found in PATH \(search)")
        }
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard nsd_pipe_cloexec(&out) == 0 else { throw .internalFailure("pipe2: \(Errno(rawValue: Glibc.errno))") }
        guard nsd_pipe_cloexec(&err) == 0 else {
            let failed = Errno(rawValue: Glibc.errno)
            close(out[0])
            close(out[1])
            throw .internalFailure("pipe2: \(failed)")
        }
        defer {
            close(out[0])
            close(err[0])
        }
        let strings = CArena()
        var config = nsd_exec_config()
        config.pidfd = pidfd
        config.pid = sandbox.pid
        config.ns_flags = Spawner.flags(sandbox.spec.namespaces + sandbox.spec.joinedTypes)
        config.path = strings.string(path)
        config.argv = strings.array(request.command)
        config.envp = strings.array(Spawner.environment(env))
        config.cwd = strings.string(request.cwd ?? sandbox.spec.cwd)
        config.uid = sandbox.spec.user.uid
        config.gid = sandbox.spec.user.gid
        config.stdout_fd = out[1]
        config.stderr_fd = err[1]
        var cgroup: SandboxCgroup.Handles?
        do throws(SandboxError) {
            config.confinement = try ConfinementPlan.confinement(sandbox.spec, arena: strings)
            do throws(SystemError) { cgroup = try sandbox.cgroup?.open() } catch {
                throw .internalFailure("open cgroup \(error.argument): \(error)")
            }
        } catch {
            close(out[1])
            close(err[1])
            throw error
        }
        config.cgroup = Spawner.cgroupConfig(cgroup)
        var result = nsd_exec_result()
        let rc = withExtendedLifetime(strings) { nsd_exec_in(&config, &result) }
        cgroup?.close()
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            throw Spawner.failure(
                step: result.step, errno: result.err, index: result.index,
                subject: .init(exec: request, in: sandbox.spec))
        }
        defer { close(result.pidfd) }
        let collected = OutputCollector.collect(
            stdout: out[0], stderr: err[0], process: result.pidfd,
            cap: Self.execOutputCap, timeout: request.timeout)
        var status = nsd_wait_status()
        while nsd_pidfd_wait(result.pidfd, -1, &status) < 0 && Glibc.errno == EINTR {}
        let stdout = ExecResult.OutputEncoding.encode(collected.stdout, truncated: collected.truncated)
        let stderr = ExecResult.OutputEncoding.encode(collected.stderr, truncated: collected.truncated)
        return ExecResult(
            exitCode: status.signal == 0 ? status.exit_code : nil,
            signal: status.signal == 0 ? nil : SignalName.name(of: status.signal),
            stdout: stdout.0, stderr: stderr.0, stdoutEncoding: stdout.1, stderrEncoding: stderr.1,
            truncated: collected.truncated)
    }
}

/// Reads two pipes until the process exits (then drains what is buffered), keeping at most
/// `cap` bytes of each; kills the process when the deadline passes.
enum OutputCollector {
    struct Output {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var truncated = false
    }

    static func collect(stdout: Int32, stderr: Int32, process: Int32, cap: Int, timeout: Double) -> Output {
        var output = Output()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        var open = [stdout: true, stderr: true]
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        func drain(_ fd: Int32, blocking: Bool) {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && Glibc.errno == EINTR { continue }
                if n <= 0 {
                    if n == 0 { open[fd] = false }
                    return
                }
                let chunk = buffer[0..<n]
                let cut = fd == stdout ? append(chunk, to: &output.stdout) : append(chunk, to: &output.stderr)
                if cut { output.truncated = true }
                if !blocking { continue }
                return
            }
        }
        /// True when part of the chunk did not fit.
        func append(_ chunk: ArraySlice<UInt8>, to target: inout [UInt8]) -> Bool {
            let room = max(0, cap - target.count)
            target += chunk.prefix(room)
            return chunk.count > room
        }
        // Until the process exits, whether or not it still holds the pipes: a command that closes
        // its output must not escape the deadline.
        while !exited {
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline {
                nsd_pidfd_send_signal(process, SIGKILL)
                break
            }
            var fds = [pollfd(fd: process, events: Int16(POLLIN), revents: 0)]
            for (fd, isOpen) in open where isOpen { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let wait = Int32(min(1000, (deadline - now) / 1_000_000 + 1))
            guard poll(&fds, nfds_t(fds.count), wait) > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                if entry.fd == process { exited = true } else { drain(entry.fd, blocking: true) }
            }
        }
        // What the command wrote before it ended is still in the pipes; a background child that
        // holds them open must not keep the request waiting, so read without blocking.
        for (fd, isOpen) in open where isOpen {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            drain(fd, blocking: false)
        }
        return output
    }
}
