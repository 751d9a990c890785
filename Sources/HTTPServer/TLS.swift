import CHTTPShim
import CMicroHTTPD
import Foundation
import Synchronization

/// HTTPS through libmicrohttpd's GnuTLS support.
public struct TLSConfiguration: Sendable {
    /// PEM: the server's certificate, then any intermediates.
    public var certificate: [UInt8]
    /// PEM, unencrypted.
    public var key: [UInt8]
    /// PEM CA certificates: when set, a handshake succeeds only with a client certificate that
    /// chains to one of them, and its subject becomes the request's principal.
    public var clientAuthorities: [UInt8]?

    public init(certificate: [UInt8], key: [UInt8], clientAuthorities: [UInt8]? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientAuthorities = clientAuthorities
    }
}

public struct TLSError: Error, CustomStringConvertible {
    public var description: String
}

/// The certificate and key new handshakes are given. A pair is parsed and checked whole before it
/// replaces the one in use, so a reload never serves half a pair and a bad pair changes nothing.
/// Open connections keep the session they negotiated.
enum TLSIdentity {
    /// Only one HTTPS server per process: GnuTLS's certificate callback has no context argument.
    private static let claimed = Atomic<Bool>(false)

    static func claim() throws(TLSError) {
        guard claimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
            throw TLSError(description: "another HTTPS server is running in this process")
        }
    }

    static func release() { claimed.store(false, ordering: .relaxed) }

    static func checkSupport() throws(TLSError) {
        guard MHD_is_feature_supported(.FEATURE_TLS) == .YES,
            MHD_is_feature_supported(.FEATURE_HTTPS_CERT_CALLBACK) == .YES
        else {
            throw TLSError(
                description:
                    "this libmicrohttpd was built without TLS (MHD_FEATURE_TLS or MHD_FEATURE_HTTPS_CERT_CALLBACK is missing); install one built with GnuTLS, such as Debian's libmicrohttpd12"
            )
        }
    }

    /// Parses, checks and installs a pair; returns its subject, serial and expiry for the log.
    /// `graceSeconds`: how long a handshake may still use the replaced pair.
    static func install(certificate: [UInt8], key: [UInt8], graceSeconds: Int) throws(TLSError) -> String {
        var error = [CChar](repeating: 0, count: 256)
        let certificate = certificate.map { CChar(bitPattern: $0) } + [0]
        let key = key.map { CChar(bitPattern: $0) } + [0]
        let pair = nsd_tls_pair_load(certificate, certificate.count - 1, key, key.count - 1, &error, error.count)
        guard let pair else { throw TLSError(description: Self.text(error)) }
        var text = [CChar](repeating: 0, count: 512)
        let expires = nsd_tls_pair_describe(pair, &text, text.count)
        nsd_tls_install(pair, UInt32(graceSeconds))
        return "\(Self.text(text)), expires \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(expires))))"
    }

    /// The client CA text as MHD keeps it (NUL-terminated, alive as long as the daemon).
    static func clientAuthorities(_ pem: [UInt8]) throws(TLSError) -> CString {
        var error = [CChar](repeating: 0, count: 256)
        let text = pem.map { CChar(bitPattern: $0) } + [0]
        let count = nsd_tls_count_authorities(text, text.count - 1, &error, error.count)
        guard count > 0 else { throw TLSError(description: "the client CA file: \(Self.text(error))") }
        return CString(pem)
    }

    /// A NUL-terminated buffer the C side filled.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A C string that lives as long as its owner.
final class CString: Sendable {
    nonisolated(unsafe) let pointer: UnsafeMutablePointer<CChar>

    init(_ bytes: [UInt8]) {
        pointer = .allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        }
        pointer[bytes.count] = 0
    }

    deinit { pointer.deallocate() }
}
