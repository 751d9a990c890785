import Synchronization

/// One HTTP request, fully read, as handlers see it.
public struct Request: Sendable {
    public var method: String
    public var path: String
    /// Query arguments in the order sent; a name may repeat.
    public var query: [(name: String, value: String)]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Path parameters filled in by the router.
    public var parameters: [String: String] = [:]
    /// The access the matched route needs.
    public var scope: Scope = .admin
    /// For an unmatched request: the methods its path does allow.
    public var allowed: [String] = []
    /// Who is on the other end of the connection.
    public var peer: Peer
    /// Filled in along the chain and read by outer steps (the audit sees who was authenticated).
    public let context = RequestContext()

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [],
        headers: [String: String] = [:], body: [UInt8] = [], peer: Peer = Peer(address: "local")
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
    }

    public func header(_ name: String) -> String? { headers[name.asciiLowercased] }

    /// A path parameter of the matched route's pattern (the router fills every one it declares).
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// Every value of a query argument, in order.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
}

/// The client as the connection shows it, before any credentials in the request.
public struct Peer: Sendable {
    /// The kernel's view of a unix-socket client (SO_PEERCRED).
    public struct Credentials: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var pid: Int32
    }

    /// "127.0.0.1", "::1", or "unix".
    public var address: String
    public var credentials: Credentials?
    /// The subject DN of a client certificate the TLS layer verified against the client CA.
    public var certificateSubject: String?

    public init(address: String, credentials: Credentials? = nil, certificateSubject: String? = nil) {
        self.address = address
        self.credentials = credentials
        self.certificateSubject = certificateSubject
    }
}

/// Request state that inner steps set and outer steps read.
public final class RequestContext: Sendable {
    private let storedPrincipal = Mutex<String?>(nil)
    private let storedRoute = Mutex<String?>(nil)

    /// The pattern of the route that matched (`/sandboxes/{ref}`), nil when none did.
    public var route: String? {
        get { storedRoute.withLock { $0 } }
        set { storedRoute.withLock { $0 = newValue } }
    }

    /// Who the request was authenticated as: a token's name, "unix:UID", or a certificate subject.
    public var principal: String? {
        get { storedPrincipal.withLock { $0 } }
        set { storedPrincipal.withLock { $0 = newValue } }
    }
}
