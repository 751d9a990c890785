#if canImport(Glibc)
import Glibc
#endif

/// Records each request in the access log once its response is ready: outermost, so that it sees
/// the route and principal the inner steps found and every refusal they made. The time is the
/// chain's (request read to response ready); a streamed body is logged when it starts.
public struct AccessLogging: Middleware {
    let log: AccessLog

    public init(log: AccessLog) {
        self.log = log
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        let started = Self.nanoseconds()
        switch next(request) {
        case .now(let response):
            record(request, response, started)
            return .now(response)
        case .later(let start):
            return .later { [self] complete in
                start { response in
                    record(request, response, started)
                    complete(response)
                }
            }
        }
    }

    private func record(_ request: Request, _ response: Response, _ started: UInt64) {
        log.record(
            request, status: response.status, bytes: Self.bodyBytes(request, response),
            microseconds: (Self.nanoseconds() &- started) / 1000)
    }

    /// Body bytes sent: none for HEAD (the server drops them), unknown (nil) for a stream.
    static func bodyBytes(_ request: Request, _ response: Response) -> Int? {
        if request.method == "HEAD" { return 0 }
        if response.stream != nil { return nil }
        return response.file.map { Int($0.length) } ?? response.body.count
    }

    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
