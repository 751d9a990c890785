import Foundation

/// The line the sandbox's init writes when its command ends: `exit <code> <unix_ns>` or
/// `signal <signum> <unix_ns>`. A record without its newline is torn and not trusted.
struct ExitRecord: Sendable, Equatable {
    var exitCode: Int32?
    var signal: Int32?
    var at: Date

    static func parse(_ bytes: [UInt8]) -> ExitRecord? {
        guard bytes.last == UInt8(ascii: "\n") else { return nil }
        let fields = bytes.dropLast().split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 3, let value = Int32(fields[1]), let nanoseconds = UInt64(fields[2]) else { return nil }
        let at = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        switch fields[0] {
        case "exit": return ExitRecord(exitCode: value, signal: nil, at: at)
        case "signal": return ExitRecord(exitCode: nil, signal: value, at: at)
        default: return nil
        }
    }
}

extension Sandbox {
    /// Marks the sandbox exited: the init's record first, else what waitid reported (a killed
    /// init leaves no record), else the status is unknown (it ended while nobody watched).
    mutating func settle(record: ExitRecord?, reaped: (exitCode: Int32, signal: Int32)?) {
        state = .exited
        if let record {
            exitCode = record.exitCode
            signal = record.signal
            // The wall clock may step back (NTP) between the two readings: an exit is never
            // shown before the creation.
            exitedAt = max(record.at, createdAt)
            return
        }
        exitedAt = max(Date(), createdAt)
        if let reaped {
            if reaped.signal != 0 { signal = reaped.signal } else { exitCode = reaped.exitCode }
        } else {
            exitStatusUnknown = true
        }
    }
}
