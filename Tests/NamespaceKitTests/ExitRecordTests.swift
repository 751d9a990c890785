import Foundation
import Testing
@testable import NamespaceKit

/// The record a sandbox's init writes when its command ends: `exit <code> <unix_ns>\n` or
/// `signal <signum> <unix_ns>\n`. Anything else, a torn record included, is not trusted.
struct ExitRecordTests {
    static func parse(_ text: String) -> ExitRecord? { ExitRecord.parse(Array(text.utf8)) }

    @Test func exitAndSignalRecords() {
        #expect(
            Self.parse("exit 0 1700000000000000000\n")
                == ExitRecord(exitCode: 0, signal: nil, at: Date(timeIntervalSince1970: 1_700_000_000)))
        #expect(Self.parse("exit 7 1500000000\n")?.exitCode == 7)
        #expect(Self.parse("exit 255 0\n")?.exitCode == 255)
        let killed = Self.parse("signal 9 1700000000500000000\n")
        #expect(killed?.signal == 9 && killed?.exitCode == nil)
        #expect(killed?.at == Date(timeIntervalSince1970: 1_700_000_000.5))
    }

    @Test func tornRecordsAreRefused() {
        let full = "exit 3 1700000000000000000\n"
        for length in 0..<full.utf8.count {
            #expect(ExitRecord.parse(Array(full.utf8.prefix(length))) == nil, "first \(length) bytes")
        }
    }

    @Test func malformedRecordsAreRefused() {
        for bad in [
            "\n", "exit\n", "exit 0\n", "exit 0 1 2\n", "quit 0 1\n", "EXIT 0 1\n", "exit x 1\n", "exit 0 x\n",
            "exit 2147483648 1\n", "exit 0 -1\n", "exit 0 18446744073709551616\n", "signal 9.0 1\n", "exit 0 1\n\n",
            "exit 0 1\nexit 1 2\n",
        ] {
            #expect(Self.parse(bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func settlePrefersTheRecordThenTheReapedStatus() throws {
        let spec = try JSONDecoder().decode(SandboxSpecRequest.self, from: Data(#"{"command":["/bin/true"]}"#.utf8)).resolve()
        let running = Sandbox(
            id: "s", name: nil, state: .running, pid: 10, startTime: 1, createdAt: Date(timeIntervalSince1970: 1), exitedAt: nil,
            exitCode: nil, signal: nil, exitStatusUnknown: false, namespaces: [:], spec: spec)
        var recorded = running
        recorded.settle(record: Self.parse("exit 4 2000000000\n"), reaped: (exitCode: 0, signal: 9))
        #expect(recorded.state == .exited && recorded.exitCode == 4 && recorded.signal == nil)
        #expect(recorded.exitedAt == Date(timeIntervalSince1970: 2))
        // A wall clock stepped back between creation and exit never shows an exit before the creation.
        var early = running
        early.settle(record: Self.parse("exit 0 500000000\n"), reaped: nil)
        #expect(early.exitedAt == Date(timeIntervalSince1970: 1))
        var killed = running
        killed.settle(record: nil, reaped: (exitCode: 0, signal: 9))
        #expect(killed.signal == 9 && killed.exitCode == nil && !killed.exitStatusUnknown)
        var exited = running
        exited.settle(record: nil, reaped: (exitCode: 3, signal: 0))
        #expect(exited.exitCode == 3 && exited.signal == nil)
        var unknown = running
        unknown.settle(record: nil, reaped: nil)
        #expect(unknown.exitStatusUnknown && unknown.exitCode == nil && unknown.signal == nil && unknown.exitedAt != nil)
    }
}
