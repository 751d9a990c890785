#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// One server per state directory: an exclusive `flock` on `lock`, held for the server's
/// lifetime (the kernel drops it when the process dies, even by kill -9). The file holds the
/// holder's pid, so a second server can say who is in the way.
final class StateDirectoryLock: Sendable {
    static let name = "lock"
    private let fd: FileDescriptor

    private init(fd: FileDescriptor) {
        self.fd = fd
    }

    deinit { try? fd.close() }

    enum Refusal: Error {
        case held(by: String)
        case failed(String, Errno)
    }

    static func acquire(in directory: borrowing Directory) throws(Refusal) -> StateDirectoryLock {
        let path = directory.path + "/" + name
        guard let fd = directory.openTrusted(name, O_RDWR | O_CREAT) else {
            throw .failed("open \(path) (it must be a regular file of the server's user with one link)", .permissionDenied)
        }
        do throws(Errno) {
            try Syscall.lockExclusively(fd)
        } catch .wouldBlock {
            let holder = (try? Self.readPid(fd)) ?? "unknown pid"
            try? fd.close()
            throw .held(by: holder)
        } catch {
            try? fd.close()
            throw .failed("flock \(path)", error)
        }
        do {
            try Syscall.truncate(fd, to: 0)
            _ = try fd.writeAll(toAbsoluteOffset: 0, Array("\(getpid())\n".utf8))
        } catch {
            try? fd.close()
            throw .failed("write \(path)", (error as? Errno) ?? .ioError)
        }
        return StateDirectoryLock(fd: fd)
    }

    private static func readPid(_ fd: FileDescriptor) throws -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 0, into: $0) }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown pid" : "pid \(text)"
    }
}
