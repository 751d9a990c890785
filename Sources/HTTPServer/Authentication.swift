import Synchronization

/// Who may use the server and how they prove it; the token table can be replaced while serving.
public final class AccessPolicy: Sendable {
    private let table: Mutex<TokenTable>
    /// Unix-socket peers with uid 0, or in this group, are authorised without a token.
    public let socketGroup: UInt32?
    /// Every request is let through as "anonymous" with every scope (loopback tests only).
    public let anonymous: Bool

    public init(tokens: TokenTable, socketGroup: UInt32? = nil, anonymous: Bool = false) {
        self.table = Mutex(tokens)
        self.socketGroup = socketGroup
        self.anonymous = anonymous
    }

    public var tokens: TokenTable {
        get { table.withLock { $0 } }
        set { table.withLock { $0 = newValue } }
    }

    /// Looks the token up under the lock: no copy of the table per request.
    func entry(for offered: UnsafeBufferPointer<UInt8>) -> TokenTable.Entry? {
        table.withLock { $0.lookup(offered) }
    }

    func isAuthorised(_ credentials: Peer.Credentials) -> Bool {
        if credentials.uid == 0 { return true }
        guard let socketGroup else { return false }
        return credentials.gid == socketGroup || UnixGroups.supplementary(of: credentials.pid).contains(socketGroup)
    }
}

/// Establishes the principal and checks the route's scope. Order of evidence: a unix-socket peer
/// that is root or in the socket group; a bearer token; a client certificate the TLS layer verified.
public struct Authentication: Middleware {
    let policy: AccessPolicy

    public init(policy: AccessPolicy) {
        self.policy = policy
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        switch authenticate(request) {
        case .failure(let problem):
            return .now(problem.response)
        case .success(let (principal, scope)):
            request.context.principal = principal
            guard scope >= request.scope else {
                return .now(
                    Problem.forbidden("\(principal) has scope \(scope); \(request.method) \(request.path) needs \(request.scope)")
                        .response)
            }
            return next(request)
        }
    }

    private static let bearer = Array("bearer ".utf8)

    /// "Bearer " in any case, with something after it; no String is made on the way.
    private static func hasBearerPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > bearer.count else { return false }
        for (index, expected) in bearer.enumerated() where bytes[index] | 0x20 != expected {
            return false
        }
        return true
    }

    private func authenticate(_ request: Request) -> Result<(String, Scope), Problem> {
        if policy.anonymous { return .success(("anonymous", .admin)) }
        if let credentials = request.peer.credentials, policy.isAuthorised(credentials) {
            return .success(("unix:\(credentials.uid)", .admin))
        }
        if let header = request.header("authorization") {
            var header = header
            let found = header.withUTF8 { bytes -> TokenTable.Entry?? in
                guard Self.hasBearerPrefix(bytes) else { return .none }
                return .some(policy.entry(for: UnsafeBufferPointer(rebasing: bytes[Self.bearer.count...])))
            }
            guard let found else { return .failure(.unauthorized("the Authorization header must use the Bearer scheme")) }
            guard let entry = found else { return .failure(.unauthorized("the bearer token is not valid")) }
            return .success((entry.name, entry.scope))
        }
        if let subject = request.peer.certificateSubject { return .success((subject, .admin)) }
        if let credentials = request.peer.credentials {
            return .failure(
                .unauthorized("uid \(credentials.uid) is neither root nor in the socket group, and no bearer token was given"))
        }
        return .failure(.unauthorized("this route needs an Authorization: Bearer token"))
    }
}
