/// Refuses a sandbox before cloning when a requested namespace type is at its kernel limit.
/// The count and the limits may be half a second old (plus what sandboxes created since); the
/// kernel's own ENOSPC stays the backstop and maps to the same answer.
struct Admission: Sendable {
    static let maxAge = 0.5
    let usage: NamespaceUsage

    func check(_ types: [NamespaceType]) throws(SandboxError) {
        guard !types.isEmpty else { return }
        let used = usage.counts(maxAge: Self.maxAge)
        let maxima = usage.maxima(maxAge: Self.maxAge)
        for type in types {
            guard let max = maxima[type] else { continue }
            let count = used[type] ?? 0
            if count >= max { throw .namespaceLimit(type: type, max: max, used: count) }
        }
    }

    func created(_ types: [NamespaceType]) {
        usage.noteCreated(types)
    }

    func currentUse() -> [NamespaceType: Int] {
        usage.counts(maxAge: Self.maxAge)
    }
}
