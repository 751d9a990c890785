#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One JSON line per request that may change something (every method but GET and HEAD), answered
/// or refused: who, from where, what, and the outcome. Credentials never appear in it.
public struct Audit: Middleware {
    /// One audit line; members in this order are what an operator greps for.
    struct Line: Encodable {
        var time: String
        var principal: String?
        var remote: String
        var method: String
        var path: String
        var status: Int
        var resource: String?
    }

    private let file: AuditFile
    private let resourceKey: String
    private let resource: @Sendable (Request, Response) -> String?

    /// - Parameter resource: the id of the thing acted on (from the path, or a 201's Location),
    ///   logged under `resourceKey`.
    public init(file: AuditFile, resourceKey: String, resource: @escaping @Sendable (Request, Response) -> String?) {
        self.file = file
        self.resourceKey = resourceKey
        self.resource = resource
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        guard request.method != "GET", request.method != "HEAD" else { return next(request) }
        let file = self.file
        let resource = self.resource
        let key = resourceKey
        return next(request).map { response in
            let line = Line(
                time: Self.timestamp(), principal: request.context.principal, remote: request.peer.address,
                method: request.method, path: request.path, status: response.status,
                resource: resource(request, response))
            file.append(Self.encode(line, resourceKey: key))
            return response
        }
    }

    static func encode(_ line: Line, resourceKey: String) -> [UInt8] {
        var object: [String: Any] = [
            "time": line.time, "remote": line.remote, "method": line.method,
            "path": line.path, "status": line.status,
        ]
        object["principal"] = line.principal ?? NSNull()
        object[resourceKey] = line.resource ?? NSNull()
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data) + [10]
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        let fraction = String(repeating: "0", count: 3 - String(millis).count) + String(millis)
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}

/// The audit log: opened once for appending, never truncated; each line is one write(2), so
/// lines from concurrent requests never interleave.
public final class AuditFile: Sendable {
    private let fd: Int32

    /// Opens (creating it 0600) without following a symlink planted at `path`.
    public init(path: String) throws(AuditFileError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw AuditFileError(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    func append(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    deinit { close(fd) }
}

public struct AuditFileError: Error, CustomStringConvertible {
    public var description: String
}
