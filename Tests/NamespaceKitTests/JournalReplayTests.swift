import Foundation
import Testing
@testable import NamespaceKit

/// Start-up reading of the registry files: complete journal entries are replayed in order, a
/// torn last line (a change never acknowledged) is dropped with a warning, a damaged line before
/// the end stops the replay of that journal, and a damaged snapshot is set aside, never loaded.
final class JournalReplayTests {
    let directory: String
    let files: RegistryFiles

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-replay-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        files = RegistryFiles(directory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static func sandbox(_ id: String, state: Sandbox.State = .running) throws -> Sandbox {
        let spec = try JSONDecoder().decode(SandboxSpecRequest.self, from: Data(#"{"command":["/bin/true"]}"#.utf8)).resolve()
        // The registry keeps all eight types, unknown ones as nil.
        var namespaces: [NamespaceType: UInt64?] = [:]
        for type in NamespaceType.allCases { namespaces[type] = .some(type == .pid ? 4_026_532_001 : nil) }
        return Sandbox(
            id: id, name: nil, state: state, pid: 100, startTime: 7, createdAt: Date(timeIntervalSince1970: 1000),
            exitedAt: nil, exitCode: nil, signal: nil, exitStatusUnknown: false, namespaces: namespaces,
            spec: spec)
    }

    static func line(_ entry: JournalEntry) throws -> String {
        String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func replay(_ text: String) throws -> (image: RegistryImage, warnings: [String]) {
        try write(text, to: files.journal(1))
        var image = RegistryImage()
        var warnings: [String] = []
        RegistryLoader(files: files).replay(files.journal(1), into: &image, warnings: &warnings)
        return (image, warnings)
    }

    @Test func completeEntriesReplayInOrder() throws {
        var exited = try Self.sandbox("a", state: .exited)
        exited.exitCode = 3
        let text = try [
            Self.line(.put(Self.sandbox("a"))), Self.line(.put(Self.sandbox("b"))), Self.line(.put(exited)),
            Self.line(.delete("b")), Self.line(.put(Self.sandbox("c"))), "",
        ].joined(separator: "\n")
        let (image, warnings) = try replay(text)
        #expect(warnings.isEmpty)
        #expect(image.order == ["a", "c"])
        #expect(image.sandboxes["a"]?.state == .exited && image.sandboxes["a"]?.exitCode == 3)
        #expect(image.sandboxes["a"]?.sandbox == exited)
    }

    @Test func aTornLastLineIsDroppedWithAWarning() throws {
        let whole = try Self.line(.put(Self.sandbox("b")))
        for cut in [1, whole.count / 2, whole.count - 1] {
            let text = try Self.line(.put(Self.sandbox("a"))) + "\n" + whole.prefix(cut)
            let (image, warnings) = try replay(text)
            #expect(image.order == ["a"], "cut at \(cut)")
            #expect(warnings.count == 1 && warnings[0].contains("torn last entry"), "\(warnings)")
        }
    }

    @Test func aDamagedLineStopsTheReplay() throws {
        for damage in ["garbage", "{}", #"{"op":"explode"}"#, "{\"op\":\"put\",\"sandbox\":{\"id\":1}}", "\u{1}\u{2}"] {
            let text =
                try [Self.line(.put(Self.sandbox("a"))), damage, Self.line(.put(Self.sandbox("b")))]
                .joined(separator: "\n") + "\n"
            let (image, warnings) = try replay(text)
            #expect(image.order == ["a"], "after \(damage.debugDescription)")
            #expect(warnings.count == 1 && warnings[0].contains("entry 2 is damaged"), "\(warnings)")
        }
    }

    @Test func invalidUTF8AndBinaryAreDamageNotData() throws {
        try Data([0xff, 0xfe, 0x00, 0x0a, 0x7b, 0x0a]).write(to: URL(fileURLWithPath: files.journal(1)))
        var image = RegistryImage()
        var warnings: [String] = []
        RegistryLoader(files: files).replay(files.journal(1), into: &image, warnings: &warnings)
        #expect(image.order.isEmpty && image.sandboxes.isEmpty && image.keys.isEmpty)
        #expect(warnings.count == 1)
    }

    @Test func emptyLinesAndAnEmptyJournalAreNothing() throws {
        #expect(try replay("").warnings.isEmpty)
        let (image, warnings) = try replay("\n\n" + Self.line(.put(Self.sandbox("a"))) + "\n\n")
        #expect(warnings.isEmpty && image.order == ["a"])
    }

    @Test func idempotencyKeysAreReplayed() throws {
        let record = IdempotencyRecord(key: "k1", sandbox: SandboxRecord(try Self.sandbox("a")), createdAt: 5)
        let (image, warnings) = try replay(try Self.line(.key(record)) + "\n")
        #expect(warnings.isEmpty && image.keys["k1"] == record && image.order.isEmpty)
    }

    @Test func loadUsesTheNewestReadableSnapshotThenTheJournals() throws {
        var image = RegistryImage()
        image.apply(.put(try Self.sandbox("a")))
        try JSONEncoder().encode(image.snapshot(generation: 1)).write(to: URL(fileURLWithPath: files.snapshot(1)))
        try write("{\"format\":1,\"generation\":2,\"sandb", to: files.snapshot(2))
        try write(try Self.line(.put(Self.sandbox("b"))) + "\n", to: files.journal(1))
        try write(try Self.line(.put(Self.sandbox("c"))) + "\n", to: files.journal(2))
        let loaded = try RegistryLoader(files: files).load(allowEmpty: false)
        #expect(loaded.image.order == ["a", "b", "c"])
        #expect(loaded.nextGeneration == 3)
        #expect(loaded.warnings.contains { $0.contains("torn or corrupt") })
        // The damaged snapshot is kept under another name, never loaded, never overwritten.
        #expect(!FileManager.default.fileExists(atPath: files.snapshot(2)))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains { $0.hasPrefix("snapshot.2.json.bad-") })
    }

    @Test func aSnapshotOfAnotherFormatIsNotLoaded() throws {
        try write(#"{"format":2,"generation":1,"sandboxes":[],"idempotency":[]}"#, to: files.snapshot(1))
        #expect(throws: RegistryLoader.Refusal.self) { try RegistryLoader(files: files).load(allowEmpty: false) }
        #expect(!FileManager.default.fileExists(atPath: files.snapshot(1)))
        let loaded = try RegistryLoader(files: files).load(allowEmpty: true)
        #expect(loaded.image.order.isEmpty)
    }

    @Test func everySnapshotDamagedIsARefusalUnlessEmptyIsAllowed() throws {
        try write("not json", to: files.snapshot(3))
        try write(try Self.line(.put(Self.sandbox("x"))) + "\n", to: files.journal(3))
        #expect(throws: RegistryLoader.Refusal.self) { try RegistryLoader(files: files).load(allowEmpty: false) }
        try write("not json", to: files.snapshot(3))
        let loaded = try RegistryLoader(files: files).load(allowEmpty: true)
        #expect(loaded.warnings.contains { $0.contains("EMPTY registry") })
        #expect(loaded.image.order == ["x"])
    }
}
