/// The rest of the chain, as a middleware sees it.
public typealias Responder = @Sendable (Request) -> Reply

/// A cross-cutting step (authentication, validators, audit) wrapped around a route's handler.
/// A route group lists its middleware; the first listed runs outermost.
public protocol Middleware: Sendable {
    func handle(_ request: Request, next: Responder) -> Reply
}

extension Reply {
    /// Applies `transform` to the response, whether it is ready now or completes later.
    public func map(_ transform: @escaping @Sendable (Response) -> Response) -> Reply {
        switch self {
        case .now(let response):
            return .now(transform(response))
        case .later(let start):
            return .later { complete in start { complete(transform($0)) } }
        }
    }
}

extension Array where Element == any Middleware {
    /// The chain folded around `endpoint`, first element outermost.
    public func wrapping(_ endpoint: @escaping Responder) -> Responder {
        reversed().reduce(endpoint) { next, middleware in
            { request in middleware.handle(request, next: next) }
        }
    }
}
