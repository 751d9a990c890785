import Foundation
@testable import NamespaceKit

/// Registry files as a crash or a bad disk may leave them. The input is written as a journal
/// and as a snapshot and read back the way start-up reads them. Replay never crashes; it applies
/// the complete entries before the first damaged line, and says so whenever it skips one;
/// whatever it loads can be shown through the API.
private let directory: String = {
    let parent = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(parent)/nsd-fuzz-journal.XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp: \(errno)") }
    return String(cString: made)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournalReplay(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let files = RegistryFiles(directory: directory)
    let loader = RegistryLoader(files: files)

    let journal = files.journal(1)
    guard FileManager.default.createFile(atPath: journal, contents: bytes) else { fatalError("cannot write \(journal)") }
    var image = RegistryImage()
    var warnings: [String] = []
    loader.replay(journal, into: &image, warnings: &warnings)

    // The same rules, spelled out independently of the loader's loop.
    var expected = RegistryImage()
    var skipped = false
    let lines = [UInt8](bytes).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated() where !line.isEmpty {
        guard let entry = try? JSONDecoder().decode(JournalEntry.self, from: Data(line)) else {
            skipped = true
            if index < lines.count - 1 { break }
            continue
        }
        expected.apply(entry)
    }
    precondition(skipped == !warnings.isEmpty, "a skipped line must be reported, and only then: \(warnings)")
    precondition(
        image.order == expected.order && image.sandboxes == expected.sandboxes && image.keys == expected.keys,
        "replay loaded something else than the complete entries before the damage")
    precondition(
        image.order.count == image.sandboxes.count && Set(image.order) == Set(image.sandboxes.keys),
        "the order and the sandboxes disagree")
    showAll(image)

    let snapshot = files.snapshot(1)
    guard FileManager.default.createFile(atPath: snapshot, contents: bytes) else { fatalError("cannot write \(snapshot)") }
    if case .success(let read) = loader.readSnapshot(snapshot) {
        precondition(read.format == RegistrySnapshot.currentFormat, "a snapshot of format \(read.format) was accepted")
        showAll(RegistryImage(read))
    }
    return 0
}

/// Every loaded sandbox is answered to clients and written to the next snapshot: both must work.
private func showAll(_ image: RegistryImage) {
    for record in image.sandboxes.values {
        do {
            _ = try JSONEncoder().encode(record.sandbox)
            let stored = try JSONDecoder().decode(SandboxRecord.self, from: JSONEncoder().encode(record))
            precondition(stored == record, "a loaded record does not survive the next snapshot")
        } catch {
            fatalError("a loaded record cannot be written: \(error)")
        }
    }
}
