#if canImport(Glibc)
import Glibc
#endif

/// A sandbox init's pidfd, closed when the registry lets go of it (the entry is removed, or the
/// init was reaped), in this one place.
final class PidFD: Sendable {
    let rawValue: Int32

    init(_ rawValue: Int32) {
        self.rawValue = rawValue
    }

    deinit { Glibc.close(rawValue) }
}
