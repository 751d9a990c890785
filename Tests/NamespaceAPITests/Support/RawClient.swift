import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - a raw HTTP/1.1 client

struct RawRequest: Sendable {
    var method: String
    var target: String
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// Adds Content-Length for the body (off to send a hostile one by hand).
    var automaticLength = true

    static func get(_ target: String) -> RawRequest { RawRequest(method: "GET", target: target) }
    static func delete(_ target: String) -> RawRequest { RawRequest(method: "DELETE", target: target) }
    static func post(_ target: String, _ json: String) -> RawRequest {
        RawRequest(method: "POST", target: target, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
    }

    func bytes(keepAlive: Bool = false) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: 127.0.0.1\r\n" }
        if !keepAlive { head += "Connection: close\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if automaticLength && (!body.isEmpty || method == "POST") { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var isProblem: Bool {
        headers["content-type"]?.hasPrefix("application/problem+json") == true
            && (json["type"] as? String)?.hasPrefix("urn:namespaced:problem:") == true
            && json["status"] as? Int == status && !((json["detail"] as? String) ?? "").isEmpty
    }
    var detail: String { json["detail"] as? String ?? "" }
}

enum RawClient {
    /// `source`: a local IPv4 address to connect from (another loopback address is another client).
    static func connect(port: UInt16, timeout: Int = 30, source: String? = nil) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            _ = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return fd
    }

    /// Sends the request with `Connection: close` and reads until EOF; status 0 when no answer came.
    static func exchange(port: UInt16, _ request: RawRequest, timeout: Int = 30, source: String? = nil) -> RawResponse {
        let fd = connect(port: port, timeout: timeout, source: source)
        defer { close(fd) }
        let bytes = request.bytes()
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server answered early and closed: read what it said
            sent += n
        }
        return parse(readToEnd(fd), head: request.method == "HEAD")
    }

    /// Everything the server sends until it closes the connection (or the receive timeout).
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return received
    }

    static func parse(_ data: [UInt8], head: Bool) -> RawResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            return RawResponse(status: 0, headers: [:], body: data)
        }
        let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        let status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if head {
            body = []
        } else if let length = headers["content-length"].flatMap(Int.init), length < body.count {
            body = Array(body.prefix(length))
        }
        return RawResponse(status: status, headers: headers, body: body)
    }
}

/// Runs `body` on `count` threads at once and returns the results in order.
final class ParallelResults<T>: @unchecked Sendable {
    var results: [T?]
    let lock = NSLock()
    init(_ count: Int) { results = Array(repeating: nil, count: count) }
}

/// Runs `body` on `count` threads at once and returns the results in order.
func parallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let box = ParallelResults<T>(count)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            let value = body(index)
            box.lock.lock()
            box.results[index] = value
            box.lock.unlock()
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    return box.results.map { $0! }
}
