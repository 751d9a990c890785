#if canImport(Glibc)
import Glibc
#endif

/// NUL-terminated C strings and argv-style arrays that stay valid until `free()`; the shim
/// needs every byte allocated before it clones.
final class CStrings {
    private var owned: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>] = []

    func string(_ text: String?) -> UnsafePointer<CChar>? {
        guard let text else { return nil }
        let pointer = strdup(text)!
        owned.append(pointer)
        return UnsafePointer(pointer)
    }

    /// A NULL-terminated array such as argv or envp.
    func array(_ items: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (index, item) in items.enumerated() {
            let pointer = strdup(item)!
            owned.append(pointer)
            array[index] = pointer
        }
        array[items.count] = nil
        arrays.append(array)
        return UnsafePointer(array)
    }

    deinit {
        owned.forEach { Glibc.free($0) }
        arrays.forEach { $0.deallocate() }
    }
}
