/// Where the server listens: `HOST:PORT` (`[::1]:8080` for IPv6) or `unix:PATH`.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case unix(path: String)

    public init?(_ text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.utf8.count < 108, !path.contains("\0") else { return nil }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self = .tcp(host: host, port: port)
    }

    /// Loopback or a unix socket: reachable from this host only.
    public var isLocalOnly: Bool {
        switch self {
        case .unix: return true
        case .tcp: return isLoopback
        }
    }

    /// A TCP address on the loopback interface.
    public var isLoopback: Bool {
        switch self {
        case .unix: return false
        case .tcp(let host, _):
            if host == "localhost" || host == "::1" { return true }
            let parts = host.split(separator: ".")
            return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}
