#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HTTPServer

/// The TLS files: read at start and again on SIGHUP (certificate and key; the client CA at start only).
struct TLSSetup {
    var certificateFile: String
    var keyFile: String
    var clientAuthorityFile: String?

    /// The files as they are now; the key file is refused when group or others may read it.
    func configuration() throws -> TLSConfiguration {
        let (certificate, key) = try pair()
        return TLSConfiguration(
            certificate: certificate, key: key,
            clientAuthorities: try clientAuthorityFile.map { try Self.read($0, what: "client CA file") })
    }

    func pair() throws -> (certificate: [UInt8], key: [UInt8]) {
        let certificate = try Self.read(certificateFile, what: "TLS certificate file")
        let key = Array(try Credentials.readPrivateFile(keyFile, what: "TLS key file").utf8)
        return (certificate, key)
    }

    private static func read(_ path: String, what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        return Array(data)
    }
}
