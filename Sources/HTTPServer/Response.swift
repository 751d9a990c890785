/// What a handler answers: a body built whole (the API's bodies are small), a file, or a stream.
public struct Response: Sendable {
    /// A body sent straight from a file (sendfile), never held in memory; the server closes `fd`.
    public struct FileBody: Sendable {
        public var fd: Int32
        public var offset: UInt64
        public var length: UInt64

        public init(fd: Int32, offset: UInt64, length: UInt64) {
            self.fd = fd
            self.offset = offset
            self.length = length
        }
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var file: FileBody?
    /// A body produced over time; the connection is suspended whenever the source has nothing.
    public var stream: (any StreamSource)?
    /// The kernel send buffer of a streaming connection: bounds what a client that stops reading
    /// can hold in the kernel, so that the source notices it (nil: the system's default).
    public var streamSendBuffer: Int?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ body: [UInt8], status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    public static func empty(status: Int = 204) -> Response { Response(status: status) }

    public static func file(_ file: FileBody, contentType: String) -> Response {
        var response = Response(status: 200, headers: [("Content-Type", contentType)])
        response.file = file
        return response
    }

    public static func stream(_ source: any StreamSource, contentType: String, sendBuffer: Int? = nil) -> Response {
        var response = Response(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")])
        response.stream = source
        response.streamSendBuffer = sendBuffer
        return response
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    public func adding(_ name: String, _ value: String) -> Response {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }
}

/// A response now, or one that completes later on another thread (waits, execs): the server
/// suspends the connection meanwhile, so no worker thread is blocked.
public enum Reply: Sendable {
    case now(Response)
    case later(@Sendable (_ complete: @escaping @Sendable (Response) -> Void) -> Void)
}
