#if canImport(Glibc)
import Glibc
#endif
import CHTTPShim
import CMicroHTTPD
import Logging
import Synchronization

public protocol HTTPHandler: Sendable {
    func handle(_ request: Request) -> Reply
}

public struct HTTPServerConfiguration: Sendable {
    public var listen: ListenAddress
    /// epoll worker threads; MHD's single-thread epoll mode stalls past ~128 keep-alive connections.
    public var threads: Int
    public var bodyLimit: Int
    public var connectionLimit: Int
    public var perAddressLimit: Int
    /// Idle connection timeout, and the most a keep-alive connection waits between requests.
    public var timeoutSeconds: Int
    /// The group a unix socket is given (mode 0660); nil: root only (0600).
    public var socketGroup: UInt32?
    /// The most a request head (request line and headers) may take to arrive, however it trickles.
    public var headSeconds: Int
    /// HTTPS; nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// Where the server counts its connections, waits and streams (for a metrics endpoint).
    public var statistics = ServerStatistics()
    /// One line per request (nil: none). The server records into it; its owner reopens and closes it.
    public var accessLog: AccessLog?

    public init(
        listen: ListenAddress, threads: Int, bodyLimit: Int = 1 << 20, connectionLimit: Int = 1024,
        perAddressLimit: Int = 512, timeoutSeconds: Int = 30, headSeconds: Int = 10
    ) {
        self.headSeconds = headSeconds
        self.listen = listen
        self.threads = threads
        self.bodyLimit = bodyLimit
        self.connectionLimit = connectionLimit
        self.perAddressLimit = perAddressLimit
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
}

/// libmicrohttpd behind a small Swift face: it reads requests, calls the handler, sends replies.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let daemon: Mutex<DaemonHandle?>
    /// The TCP port actually bound (differs from the configured one when that was 0).
    public let port: UInt16?
    /// The certificate served (subject, serial, expiry); nil for plain HTTP.
    public let certificate: String?
    private let clientAuthorities: CString?
    private let headSeconds: Int

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, logger: Logger) throws {
        var certificate: String?
        var clientAuthorities: CString?
        if let tls = configuration.tls {
            try TLSIdentity.checkSupport()
            try TLSIdentity.claim()
            do {
                certificate = try TLSIdentity.install(
                    certificate: tls.certificate, key: tls.key,
                    graceSeconds: Self.graceSeconds(configuration.headSeconds))
                clientAuthorities = try tls.clientAuthorities.map(TLSIdentity.clientAuthorities)
            } catch {
                TLSIdentity.release()
                throw error
            }
        }
        self.certificate = certificate
        self.clientAuthorities = clientAuthorities
        self.headSeconds = configuration.headSeconds
        let listener: (fd: Int32, port: UInt16?)
        do {
            listener = try Listener.open(configuration.listen, socketGroup: configuration.socketGroup)
        } catch {
            if certificate != nil { TLSIdentity.release() }
            throw HTTPServerError(description: "cannot listen on \(configuration.listen): \(error)")
        }
        var isUnixSocket = false
        if case .unix = configuration.listen { isUnixSocket = true }
        let core = ServerCore(
            handler: handler, accessLog: configuration.accessLog, logger: logger, bodyLimit: configuration.bodyLimit,
            isUnixSocket: isUnixSocket,
            headSeconds: configuration.headSeconds, idleSeconds: configuration.timeoutSeconds,
            requiresClientCertificate: clientAuthorities != nil,
            statistics: configuration.statistics)
        let coreContext = Unmanaged.passUnretained(core).toOpaque()
        var config = nsd_http_config(
            listen_fd: listener.fd,
            threads: UInt32(max(1, configuration.threads)),
            connection_limit: UInt32(configuration.connectionLimit),
            per_ip_limit: UInt32(configuration.perAddressLimit),
            timeout_seconds: UInt32(configuration.timeoutSeconds),
            handler: accessHandler,
            handler_context: coreContext,
            completed: completedHandler,
            completed_context: coreContext,
            connection_notify: connectionNotify,
            connection_context: coreContext,
            request_line: requestLineHandler,
            request_line_context: coreContext,
            tls: certificate == nil ? 0 : 1,
            client_ca_pem: clientAuthorities.map { UnsafePointer($0.pointer) })
        guard let started = nsd_http_start(&config) else {
            close(listener.fd)
            if certificate != nil { TLSIdentity.release() }
            throw HTTPServerError(description: "libmicrohttpd refused to start on \(configuration.listen)")
        }
        core.startWatcher()
        self.core = core
        self.daemon = Mutex(DaemonHandle(pointer: started))
        self.port = listener.port
    }

    /// Stops accepting, answers requests still waiting for a later reply with 503, lets in-flight
    /// requests finish, and joins the worker threads.
    public func stop() {
        let handle = daemon.withLock { value -> DaemonHandle? in
            defer { value = nil }
            return value
        }
        guard let handle else { return }
        let listener = MHD_quiesce_daemon(handle.pointer)
        if listener >= 0 { close(listener) }
        core.resumeAll(
            with: Problem(
                slug: "unavailable", title: "Service unavailable", status: 503,
                detail: "the server is stopping; retry the request"
            ).response)
        core.streams.endAll()
        MHD_stop_daemon(handle.pointer)
        if certificate != nil { TLSIdentity.release() }
    }

    /// Replaces the certificate and key for every later handshake (SIGHUP); open connections keep
    /// theirs. A pair that does not load, or whose key does not match, leaves the current one.
    /// Returns the new certificate's subject, serial and expiry.
    public func reloadCertificate(certificate: [UInt8], key: [UInt8]) throws(TLSError) -> String {
        guard self.certificate != nil else { throw TLSError(description: "this server does not use TLS") }
        return try TLSIdentity.install(certificate: certificate, key: key, graceSeconds: Self.graceSeconds(headSeconds))
    }

    /// A handshake is part of a request head, so it ends within the head deadline (the watcher
    /// cuts it there); a replaced pair is kept well past that.
    private static func graceSeconds(_ headSeconds: Int) -> Int { max(60, 4 * headSeconds) }

    deinit { stop() }
}

/// MHD pointers are used only through MHD's own thread-safe calls.
struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
