import Foundation

/// Runs host commands (lsns, unshare, ip, curl) the way an operator would.
enum Host {
    static var isRoot: Bool { geteuid() == 0 }

    @discardableResult
    static func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a program with stdout and stderr together; a program still running after `seconds` is
    /// stopped (a server that should have refused to start) and reported with status 0.
    static func runWithStatus(_ arguments: [String], environment: [String: String] = [:], seconds: Double = 5) throws -> (
        status: Int32, output: String
    ) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NAMESPACED_TOKEN")
        env.merge(environment) { $1 }
        process.environment = env
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("nsd-run-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        let exited = eventually(seconds) { !process.isRunning }
        if !exited { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (exited ? process.terminationStatus : 0, text)
    }

    static func readlinkInode(_ path: String) -> UInt64? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
            let open = target.firstIndex(of: "["), let close = target.firstIndex(of: "]")
        else { return nil }
        return UInt64(target[target.index(after: open)..<close])
    }

    /// The package root, for the built binary.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var serverBinary: String { packageRoot.appendingPathComponent(".build/debug/namespaced").path }
}

/// A long-running process started for a test and killed (with its children) when dropped.
final class Background: @unchecked Sendable {
    let process = ChildProcess()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// The process's descendants, found through /proc/PID/task/*/children.
    var descendants: [Int32] {
        var result: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast() {
            let text = (try? String(contentsOfFile: "/proc/\(next)/task/\(next)/children", encoding: .utf8)) ?? ""
            let children = text.split(separator: " ").compactMap { Int32($0) }
            result += children
            queue += children
        }
        return result
    }

    func stop() {
        for child in descendants { kill(child, SIGKILL) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Polls until `condition` holds, for at most `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
