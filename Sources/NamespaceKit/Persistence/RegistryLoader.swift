import Foundation

/// Rebuilds the registry at start-up: the newest snapshot that reads cleanly, then every journal
/// from its generation on. Damaged files are set aside, never loaded silently nor overwritten.
struct RegistryLoader {
    struct Loaded {
        var image: RegistryImage
        var nextGeneration: UInt64
        /// What an operator must read: damaged files, what was recovered.
        var warnings: [String]
    }

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    let files: RegistryFiles

    func load(allowEmpty: Bool) throws(Refusal) -> Loaded {
        var warnings: [String] = []
        var base: (generation: UInt64, snapshot: RegistrySnapshot)?
        let snapshots = files.snapshotGenerations
        for generation in snapshots.reversed() {
            let path = files.snapshot(generation)
            switch readSnapshot(path) {
            case .success(let snapshot) where snapshot.generation == generation:
                base = (generation, snapshot)
            case .success:
                warnings.append("\(path) names another generation inside; set aside as \(files.setAside(path))")
            case .failure(let reason):
                warnings.append("\(path) is \(reason); set aside as \(files.setAside(path))")
            }
            if base != nil { break }
        }
        let journals = files.journalGenerations
        let start = base?.generation ?? 0
        if base == nil, !snapshots.isEmpty, !journals.contains(0) {
            // Every snapshot was damaged and the journals do not reach back to an empty registry.
            guard allowEmpty else {
                throw Refusal(
                    description: "no readable registry snapshot in \(files.directory): "
                        + warnings.joined(separator: "; ")
                        + ". The damaged files are kept. Start with --allow-empty-registry to begin with an empty registry.")
            }
            warnings.append("starting with an EMPTY registry (--allow-empty-registry); running sandboxes are no longer tracked")
        }
        var image = RegistryImage(base?.snapshot)
        if let base, base.generation != snapshots.last {
            warnings.append(
                "recovered from the previous generation \(files.snapshot(base.generation)) with \(image.order.count) sandboxes")
        }
        for generation in journals where generation >= start {
            replay(files.journal(generation), into: &image, warnings: &warnings)
        }
        let highest = max(snapshots.last ?? 0, journals.last ?? 0)
        return Loaded(image: image, nextGeneration: highest + 1, warnings: warnings)
    }

    enum ReadFailure: Error, CustomStringConvertible {
        case unreadable, corrupt
        case unknownFormat(Int)
        var description: String {
            switch self {
            case .unreadable: return "unreadable"
            case .corrupt: return "torn or corrupt (not a complete registry document)"
            case .unknownFormat(let format): return "of unknown format version \(format)"
            }
        }
    }

    func readSnapshot(_ path: String) -> Result<RegistrySnapshot, ReadFailure> {
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(.unreadable) }
        struct Header: Decodable { var format: Int }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else { return .failure(.corrupt) }
        guard header.format == RegistrySnapshot.currentFormat else { return .failure(.unknownFormat(header.format)) }
        guard let snapshot = try? JSONDecoder().decode(RegistrySnapshot.self, from: data) else { return .failure(.corrupt) }
        return .success(snapshot)
    }

    /// A torn last line is a change that was never acknowledged (the crash came mid-append);
    /// a bad line before the end is damage, and replay stops there.
    func replay(_ path: String, into image: inout RegistryImage, warnings: inout [String]) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let bytes = [UInt8](data)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        for (index, line) in lines.enumerated() where !line.isEmpty {
            let isLast = index == lines.count - 1
            guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line)) else {
                if isLast {
                    warnings.append("\(path): ignored a torn last entry (an unacknowledged change)")
                } else {
                    warnings.append("\(path): entry \(index + 1) is damaged; later entries of this journal were not replayed")
                    return
                }
                continue
            }
            image.apply(entry)
        }
    }
}
