#if canImport(Glibc)
import Glibc
#endif
import CHTTPShim
import Foundation
import CMicroHTTPD
import Logging
import Synchronization

/// The per-request work behind MHD's callbacks: body accumulation with a cap, dispatch to the
/// handler, suspension for replies that complete later.
final class ServerCore: Sendable {
    /// The handler behind the access-log step.
    let respond: Responder
    /// Where requests the server refuses before the handler sees them are logged.
    let accessLog: AccessLog?
    let logger: Logger
    let bodyLimit: Int
    let isUnixSocket: Bool
    let deadlines: HeadDeadlines
    /// Mutual TLS: the handshake demands a client certificate, and each request checks it again.
    let requiresClientCertificate: Bool
    let streams: StreamConnections
    let statistics: ServerStatistics
    /// Oversized bodies up to this many times the limit are drained before the 413.
    static let drainFactor = 8

    init(
        handler: any HTTPHandler, accessLog: AccessLog?, logger: Logger, bodyLimit: Int, isUnixSocket: Bool,
        headSeconds: Int, idleSeconds: Int, requiresClientCertificate: Bool = false, statistics: ServerStatistics
    ) {
        let handle: Responder = { handler.handle($0) }
        self.respond = accessLog.map { [AccessLogging(log: $0)].wrapping(handle) } ?? handle
        self.accessLog = accessLog
        self.requiresClientCertificate = requiresClientCertificate
        self.statistics = statistics
        self.streams = StreamConnections(statistics: statistics)
        self.logger = logger
        self.bodyLimit = bodyLimit
        self.isUnixSocket = isUnixSocket
        self.deadlines = HeadDeadlines(headSeconds: headSeconds, idleSeconds: idleSeconds)
    }

    private struct Suspension {
        var state: RequestState
        var connection: ConnectionHandle
        var socket: Int32
        var client: String
    }

    /// Connections waiting for a `.later` reply. MHD aborts if stopped while any is suspended.
    private let suspended = Mutex<[UInt64: Suspension]>([:])
    private let nextSuspension = Atomic<UInt64>(0)
    /// Waiting requests at most; each holds a connection and its fd.
    static let maxSuspended = 256
    /// Waiting requests of one client (address, or uid on the unix socket) at most, so that one
    /// client cannot take every slot.
    static let maxSuspendedPerClient = maxSuspended / 4
    private let watcherStarted = Atomic<Bool>(false)

    /// MHD does not watch a suspended connection's socket, so a client that gives up on a long wait
    /// would hold its connection (and its per-address slot) until the wait's own timeout. This
    /// thread resumes such connections as soon as their peer hangs up, and cuts connections past
    /// their head or idle deadline.
    func startWatcher() {
        guard watcherStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let thread = Thread { [self] in
            while true {
                usleep(250_000)
                let cut = deadlines.enforce()
                if cut > 0 { logger.info("closed \(cut) connection(s) past the request-head or idle deadline") }
                streams.endHungUp()
                let entries = suspended.withLock { table in table.map { (key: $0.key, socket: $0.value.socket) } }
                var fds = entries.map { pollfd(fd: $0.socket, events: Int16(NSD_POLLRDHUP), revents: 0) }
                guard !fds.isEmpty, poll(&fds, nfds_t(fds.count), 0) > 0 else { continue }
                let gone = Int16(Int32(NSD_POLLRDHUP) | POLLHUP | POLLERR | POLLNVAL)
                for (entry, polled) in zip(entries, fds) where polled.revents & gone != 0 {
                    resume(entry.key, with: Response(status: 499))
                }
            }
        }
        thread.name = "connection-watcher"
        thread.start()
    }
    /// Resumed connections whose reply MHD has not sent yet.
    private let resuming = Atomic<Int>(0)

    /// Hands a deferred reply to its connection, once: a reply after shutdown already answered is dropped.
    func resume(_ key: UInt64, with response: Response) {
        guard
            let entry = suspended.withLock({ table -> Suspension? in
                defer { statistics.suspendedWaits.store(table.count, ordering: .relaxed) }
                return table.removeValue(forKey: key)
            })
        else { return }
        resuming.add(1, ordering: .relaxed)
        entry.state.setDeferred(response)
        MHD_resume_connection(entry.connection.pointer)
    }

    /// Answers every suspended request (the server is stopping) and waits, briefly, until sent.
    func resumeAll(with response: Response) {
        let keys = suspended.withLock { Array($0.keys) }
        for key in keys { resume(key, with: response) }
        var waited = 0
        while resuming.load(ordering: .relaxed) > 0, waited < 200 {
            usleep(10_000)
            waited += 1
        }
    }

    func access(
        _ connection: OpaquePointer, url: String, method: String, version: UnsafePointer<CChar>?,
        upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        context: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = context.pointee else {
            let state = RequestState()
            state.chunked = version.map { strcmp($0, "HTTP/1.0") != 0 } ?? false
            context.pointee = Unmanaged.passRetained(state).toOpaque()
            deadlines.headComplete(connection)
            if requiresClientCertificate {
                // The handshake already demanded the certificate; this is the check routes rely on.
                guard let subject = Self.clientSubject(connection) else {
                    let refusal = Problem.unauthorized("a client certificate signed by the server's client CA is required")
                        .response
                    return refuse(refusal.adding("Connection", "close"), connection, method, url, state)
                }
                state.certificateSubject = subject
            }
            // RFC 9112 6.1: a message with both may be an attempt at request smuggling, and the
            // framing of what follows on the connection is unknowable: refuse and close.
            if MHD_lookup_connection_value(connection, .HEADER_KIND, "Transfer-Encoding") != nil,
                MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length") != nil
            {
                let refusal = Problem.badRequest("Content-Length and Transfer-Encoding together are refused").response
                return refuse(refusal.adding("Connection", "close"), connection, method, url, state)
            }
            if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
                let declared = Int(String(cString: length)), declared > bodyLimit
            {
                // A client that waits for 100-continue, or one announcing a huge body, is refused before
                // it sends a byte. Others are already sending: a moderate excess is read and dropped,
                // so that they see the 413 rather than a reset connection.
                let waitsForContinue = MHD_lookup_connection_value(connection, .HEADER_KIND, "Expect") != nil
                if waitsForContinue || declared > bodyLimit * Self.drainFactor {
                    return refuse(Problem.payloadTooLarge(limit: bodyLimit).response, connection, method, url, state)
                }
                state.tooLarge = true
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
        if let ready = state.takeDeferred() {
            defer { resuming.subtract(1, ordering: .relaxed) }
            return send(ready, connection, state)
        }
        if uploadSize.pointee > 0 {
            // Chunked bodies carry no length: count them, drop the excess, answer 413 at the end.
            state.received += uploadSize.pointee
            // Past the drain allowance the client is only wasting our time: drop the connection.
            if state.received > bodyLimit * Self.drainFactor { return .NO }
            if let upload, !state.tooLarge, state.body.count + uploadSize.pointee <= bodyLimit {
                upload.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                    state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
                }
            } else {
                state.tooLarge = true
            }
            uploadSize.pointee = 0
            return .YES
        }
        if state.tooLarge {
            return refuse(Problem.payloadTooLarge(limit: bodyLimit).response, connection, method, url, state)
        }
        let peer = self.peer(connection, state)
        let request = Request(
            method: method, path: url, query: Self.values(connection, .GET_ARGUMENT_KIND, lowercase: false),
            headers: Dictionary(
                Self.values(connection, .HEADER_KIND, lowercase: true),
                uniquingKeysWith: { first, _ in first }),
            body: state.body, peer: peer)
        switch respond(request) {
        case .now(let response):
            return send(response, connection, state)
        case .later(let start):
            let handle = ConnectionHandle(pointer: connection)
            // A fresh number per suspension, never the connection's address: MHD reuses that memory
            // for later connections, and a late reply must not reach one of them.
            let key = nextSuspension.add(1, ordering: .relaxed).newValue
            let socket = nsd_http_connection_fd(connection)
            let client = peer.credentials.map { "uid:\($0.uid)" } ?? peer.address
            let refusal = suspended.withLock { table -> String? in
                guard table.count < Self.maxSuspended else { return "\(Self.maxSuspended) requests are already waiting" }
                guard table.values.lazy.filter({ $0.client == client }).count < Self.maxSuspendedPerClient else {
                    return "this client already has \(Self.maxSuspendedPerClient) requests waiting"
                }
                table[key] = Suspension(state: state, connection: handle, socket: socket, client: client)
                statistics.suspendedWaits.store(table.count, ordering: .relaxed)
                return nil
            }
            if let refusal {
                let busy = Problem(
                    slug: "unavailable", title: "Service unavailable", status: 503,
                    detail: "\(refusal); retry later")
                return refuse(busy.response, connection, method, url, state, request: request)
            }
            MHD_suspend_connection(connection)
            start { [self] response in resume(key, with: response) }
            return .YES
        }
    }

    /// Answers a request the server refuses itself, before the handler or instead of a later
    /// reply: the handler's access-log step never sees it, so it is logged here.
    private func refuse(
        _ response: Response, _ connection: OpaquePointer, _ method: String, _ url: String, _ state: RequestState,
        request: Request? = nil
    ) -> MHD_Result {
        if let accessLog {
            let logged = request ?? Request(method: method, path: url, peer: peer(connection, state))
            accessLog.record(
                logged, status: response.status, bytes: AccessLogging.bodyBytes(logged, response),
                microseconds: state.elapsedMicroseconds)
        }
        return send(response, connection, state)
    }

    private func send(_ response: Response, _ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        let mhdResponse: OpaquePointer?
        if let source = response.stream {
            mhdResponse = streamResponse(
                source, connection, sendBuffer: response.streamSendBuffer,
                block: state.chunked ? Self.chunkedStreamBlock : Self.streamBlock)
        } else if let file = response.file {
            mhdResponse = MHD_create_response_from_fd_at_offset64(file.length, file.fd, file.offset)
            if mhdResponse == nil { close(file.fd) }
        } else {
            mhdResponse = response.body.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(
                    raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                    .RESPMEM_MUST_COPY)
            }
        }
        guard let mhdResponse else { return .NO }
        for (name, value) in response.headers { MHD_add_response_header(mhdResponse, name, value) }
        let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        MHD_destroy_response(mhdResponse)
        return result
    }

    /// A response whose body MHD pulls from `source` (chunked); the stream's object lives until MHD
    /// frees the response, which is when the connection is done with it.
    private func streamResponse(
        _ source: any StreamSource, _ connection: OpaquePointer, sendBuffer: Int?, block: Int
    ) -> OpaquePointer? {
        let socket = nsd_http_connection_fd(connection)
        if var size = sendBuffer.map(Int32.init), socket >= 0 {
            setsockopt(socket, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let waker = StreamWaker(connection: ConnectionHandle(pointer: connection), socket: socket)
        let stream = StreamConnection(source: source, waker: waker, key: streams.newKey(), socket: socket, table: streams)
        streams.add(stream)
        source.attach(waker)
        let context = Unmanaged.passRetained(stream).toOpaque()
        guard let made = MHD_create_response_from_callback(UInt64.max, block, streamReader, context, streamClosed)
        else {
            Unmanaged<StreamConnection>.fromOpaque(context).release()
            stream.closed()
            return nil
        }
        return made
    }

    /// Bytes asked of a stream per read when the client gets no chunked encoding (HTTP/1.0): MHD
    /// reads into a buffer of this size that the response carries.
    static let streamBlock = 16 * 1024
    /// A chunked body is read into the connection's own buffer instead, and the response's one goes
    /// unused; MHD zeroes it (calloc) all the same, so it is kept small: an event listener holds it
    /// for as long as it listens.
    static let chunkedStreamBlock = 64

    /// The client as the connection shows it; on a unix socket, who the kernel says it is.
    private func peer(_ connection: OpaquePointer, _ state: RequestState) -> Peer {
        guard isUnixSocket else {
            let address = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> String in
                nsd_http_client_address(connection, buffer.baseAddress!, buffer.count)
                return String(cString: buffer.baseAddress!)
            }
            return Peer(address: address, certificateSubject: state.certificateSubject)
        }
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var pid: Int32 = 0
        guard nsd_http_peer_credentials(connection, &uid, &gid, &pid) == 0 else { return Peer(address: "unix") }
        return Peer(address: "unix", credentials: .init(uid: uid, gid: gid, pid: pid))
    }

    /// The subject of the client certificate the TLS layer verified; nil if none was or it fails.
    private static func clientSubject(_ connection: OpaquePointer) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { buffer -> String? in
            guard nsd_tls_client_subject(connection, buffer.baseAddress!, buffer.count) == 1 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Collects headers or query arguments; MHD keeps repeated names, which `?type=a&type=b` needs.
    private static func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [(
        name: String, value: String
    )] {
        let box = ValueBox(lowercase: lowercase)
        _ = MHD_get_connection_values(
            connection, kind,
            { context, _, key, value in
                guard let context, let key else { return .YES }
                let box = Unmanaged<ValueBox>.fromOpaque(context).takeUnretainedValue()
                let name = String(cString: key)
                box.values.append((box.lowercase ? name.asciiLowercased : name, value.map { String(cString: $0) } ?? ""))
                return .YES
            }, Unmanaged.passUnretained(box).toOpaque())
        return box.values
    }
}

private final class ValueBox {
    let lowercase: Bool
    var values: [(name: String, value: String)] = []
    init(lowercase: Bool) { self.lowercase = lowercase }
}

/// Lives from the first callback of a request to MHD's completion notice.
final class RequestState: @unchecked Sendable {
    var body: [UInt8] = []
    /// HTTP/1.1 or later: a body of unknown length goes chunked.
    var chunked = false
    var received = 0
    var tooLarge = false
    var certificateSubject: String?
    private let started = RequestState.now()
    /// Boxed: a Response inline would make every request's state (a stream's for as long as it
    /// lasts) a hundred bytes larger for the few requests that answer later.
    private final class Deferred: Sendable {
        let response: Response
        init(_ response: Response) { self.response = response }
    }
    private let deferred = Mutex<Deferred?>(nil)

    func setDeferred(_ response: Response) { deferred.withLock { $0 = Deferred(response) } }
    func takeDeferred() -> Response? {
        deferred.withLock { value in
            defer { value = nil }
            return value?.response
        }
    }

    var elapsedMicroseconds: UInt64 { (Self.now() &- started) / 1000 }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, version, upload, uploadSize, requestContext in
    guard let context, let connection, let url, let method, let uploadSize, let requestContext else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue()
    return core.access(
        connection, url: String(cString: url), method: String(cString: method), version: version, upload: upload,
        uploadSize: uploadSize, context: requestContext)
}

let completedHandler: MHD_RequestCompletedCallback = { context, connection, requestContext, _ in
    if let context, let connection {
        Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue().deadlines.requestDone(connection)
    }
    guard let requestContext, let state = requestContext.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(state).release()
    requestContext.pointee = nil
}

let connectionNotify: MHD_NotifyConnectionCallback = { context, connection, _, event in
    guard let context, let connection else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue()
    if event.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED
        core.deadlines.opened(connection, fd: nsd_http_connection_fd(connection))
        core.statistics.openConnections.add(1, ordering: .relaxed)
        if core.requiresClientCertificate, nsd_tls_require_client_certificate(connection) != 0 {
            shutdownSocket(nsd_http_connection_fd(connection))
        }
    } else {
        core.deadlines.closed(connection)
        core.statistics.openConnections.subtract(1, ordering: .relaxed)
    }
}

let requestLineHandler:
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>, OpaquePointer) -> UnsafeMutableRawPointer? = {
        context, _, connection in
        guard let context else { return nil }
        Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue().deadlines.requestLine(connection)
        return nil
    }
