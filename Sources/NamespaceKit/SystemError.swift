#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A failed system call: which call, on what, and the errno it returned.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let errno: Errno
    public let call: String
    public let argument: String

    /// Captures the calling thread's errno; call it right after the failing call.
    public init(_ call: String, _ argument: String) {
        self.init(call, argument, errno: Errno(rawValue: Glibc.errno))
    }

    public init(_ call: String, _ argument: String, errno: Errno) {
        self.call = call
        self.argument = argument
        self.errno = errno
    }

    public var description: String { "\(call)(\(argument)): \(errno) (errno \(errno.rawValue))" }
}
