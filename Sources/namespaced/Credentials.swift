#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HTTPServer

/// Token and key files: read only when no one but the owner can read them.
enum Credentials {
    /// Reads a secret file, refusing one that group or others may read.
    static func readPrivateFile(_ path: String, what: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ValidationError("cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ValidationError("the \(what) \(path) is not a regular file")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw ValidationError(
                "refusing the \(what) \(path): mode \(String(st.st_mode & 0o777, radix: 8)) lets group or others read it; chmod 600 it"
            )
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ValidationError("cannot read the \(what) \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The single admin token of `--token-file`, checked like the lines of a tokens file.
    static func adminToken(file: String) throws -> String {
        let token = try readPrivateFile(file, what: "token file").trimmingCharacters(in: .whitespacesAndNewlines)
        do throws(TokenFileError) { try TokenTable.checkSecret(token, source: file) } catch {
            throw ValidationError(error.description)
        }
        return token
    }

    static func tokensFile(_ path: String) throws -> TokenTable {
        let text = try readPrivateFile(path, what: "tokens file")
        do throws(TokenFileError) { return try TokenTable.parse(text, source: path) } catch {
            throw ValidationError(error.description)
        }
    }

    /// NAMESPACED_TOKEN, then its value overwritten where the kernel shows it: /proc/PID/environ
    /// reads the process's original environment block, which getenv points into.
    static func takeEnvironmentToken() throws -> String? {
        guard let value = getenv("NAMESPACED_TOKEN") else { return nil }
        let token = String(cString: value).trimmingCharacters(in: .whitespacesAndNewlines)
        memset(value, 0, strlen(value))
        unsetenv("NAMESPACED_TOKEN")
        do throws(TokenFileError) { try TokenTable.checkSecret(token, source: "NAMESPACED_TOKEN") } catch {
            throw ValidationError(error.description)
        }
        return token
    }

    /// The token of `STATE_DIR/admin.token`, made at first start: 32 random bytes, base64url.
    static func generatedToken(stateDirectory: String) throws -> (token: String, path: String, created: Bool) {
        let path = stateDirectory + "/admin.token"
        if access(path, F_OK) == 0 { return (try adminToken(file: path), path, false) }
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom) on Linux.
        var generator = SystemRandomNumberGenerator()
        let random = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = Data(random).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array((token + "\n").utf8)
        guard line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count, fsync(fd) == 0 else {
            unlink(path)
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return (token, path, true)
    }
}
