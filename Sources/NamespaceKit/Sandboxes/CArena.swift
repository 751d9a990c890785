#if canImport(Glibc)
import Glibc
#endif

/// C strings, argv-style arrays and plain-data arrays that stay valid until the arena is freed;
/// the shim needs every byte allocated before it clones.
final class CArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var blocks: [UnsafeMutableRawPointer] = []

    func string(_ text: String?) -> UnsafePointer<CChar>? {
        guard let text else { return nil }
        let pointer = strdup(text)!
        strings.append(pointer)
        return UnsafePointer(pointer)
    }

    /// A NULL-terminated array such as argv or envp.
    func array(_ items: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (index, item) in items.enumerated() {
            let pointer = strdup(item)!
            strings.append(pointer)
            array[index] = pointer
        }
        array[items.count] = nil
        blocks.append(UnsafeMutableRawPointer(array))
        return UnsafePointer(array)
    }

    /// A copy of plain C values (structs of the shim, bytes); nil for an empty list.
    func copy<Element>(_ items: [Element]) -> UnsafePointer<Element>? {
        guard !items.isEmpty else { return nil }
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: items.count)
        pointer.initialize(from: items, count: items.count)
        blocks.append(UnsafeMutableRawPointer(pointer))
        return UnsafePointer(pointer)
    }

    deinit {
        strings.forEach { Glibc.free($0) }
        // Trivial values only: nothing to deinitialize.
        blocks.forEach { $0.deallocate() }
    }
}
