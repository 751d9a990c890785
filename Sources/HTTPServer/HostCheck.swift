/// Refuses requests addressed to a name this server does not answer for (DNS rebinding: a web
/// page whose name resolves to 127.0.0.1 would otherwise reach the API from a browser).
/// Unix-socket requests pass whatever their Host says: no browser can reach a socket file.
public struct HostCheck: Middleware {
    private let allowed: Set<String>

    /// `names`: host names or addresses (without port) accepted besides localhost and loopback.
    public init(listen: ListenAddress, names: [String]) {
        var allowed = Set(["localhost", "127.0.0.1", "::1"] + names.map { $0.asciiLowercased })
        if case .tcp(let host, _) = listen { allowed.insert(host.asciiLowercased) }
        self.allowed = allowed
    }

    public func handle(_ request: Request, next: Responder) -> Reply {
        if request.peer.credentials != nil { return next(request) }
        guard let host = request.header("host") else {
            return .now(Problem.badRequest("the Host header is required").response)
        }
        guard allowed.contains(Self.name(of: host)) else {
            return .now(Problem.misdirected("this server does not answer for the host '\(host)'").response)
        }
        return next(request)
    }

    /// The host part of a Host header: "[::1]:8080" → "::1", "Example:80" → "example".
    static func name(of header: String) -> String {
        var text = Substring(header)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return "" }
            text = text[text.index(after: text.startIndex)..<close]
            return String(text).asciiLowercased
        }
        if let colon = text.firstIndex(of: ":") {
            guard text[text.index(after: colon)...].allSatisfy(\.isASCII), UInt16(text[text.index(after: colon)...]) != nil else {
                return ""
            }
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        return String(text).asciiLowercased
    }
}
