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

    static func readlinkInode(_ path: String) -> UInt64? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
              let open = target.firstIndex(of: "["), let close = target.firstIndex(of: "]") else { return nil }
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
