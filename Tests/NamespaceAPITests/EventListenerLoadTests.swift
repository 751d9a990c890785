import Foundation
import NamespaceAPI
import Testing

/// Many listeners and a listener that never reads: neither may cost a thread or block anyone.
@Suite(.serialized) struct EventListenerLoadTests {
    /// Opens an event stream on a raw socket and reads until the stream's first bytes arrived.
    static func openListener(port: UInt16, token: String?, receiveBuffer: Int32? = nil) -> Int32 {
        let fd: Int32
        if var size = receiveBuffer {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            fd = RawClient.connect(port: port, timeout: 10)
        }
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let request = Array("GET /events?type=sandbox HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(auth)\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return fd
    }

    /// Reads what is there within `seconds` until `marker` was seen.
    static func read(_ fd: Int32, until marker: String, seconds: Double) -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !text.contains(marker), Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return text
    }

    static func threads(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count ?? 0
    }

    @Test func threeHundredIdleListenersCostNoThreadAndAllHearACreate() async throws {
        let directory = NSTemporaryDirectory() + "nsd-listeners-\(getpid())-\(UUID().uuidString.prefix(8))"
        let server = try ServerBinary(stateDirectory: directory)
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try #require(server.isListening, "\(server.output)")
        let port = try #require(UInt16(server.base.split(separator: ":").last ?? ""))
        // The first listener starts the event thread; what more listeners cost is measured after it.
        let first = Self.openListener(port: port, token: server.adminToken)
        #expect(Self.read(first, until: "retry:", seconds: 5).contains("200 OK"))
        try await Task.sleep(for: .milliseconds(300))
        let before = Self.threads(of: server.pid)
        var listeners = [first]
        for _ in 0..<300 { listeners.append(Self.openListener(port: port, token: server.adminToken)) }
        defer { listeners.forEach { close($0) } }
        let opened = listeners.dropFirst().filter { Self.read($0, until: "retry:", seconds: 5).contains("retry:") }.count
        #expect(opened == 300)
        let after = Self.threads(of: server.pid)
        #expect(after <= before, "threads before \(before), with 301 listeners \(after)")

        // The server still answers, and every listener hears about a new sandbox.
        #expect(try await server.request("GET", "/namespaces").status == 200)
        let created = try await server.request("POST", "/sandboxes", json: #"{"command": ["true"]}"#)
        #expect(created.status == 201)
        let id = created.json["id"] as? String ?? "?"
        let heard = listeners.filter { Self.read($0, until: id, seconds: 5).contains(id) }.count
        #expect(heard == 301)
        let metrics = try await server.request("GET", "/metrics")
        #expect(
            metrics.text.contains("namespaced_event_listeners 301"),
            "\(metrics.text.split(separator: "\n").filter { $0.contains("listeners") })")
        _ = try await server.request("DELETE", "/sandboxes/\(id)")
    }

    @Test func aListenerThatNeverReadsIsDroppedAndCountedWhileOthersGetEverything() async throws {
        var settings = NamespaceAPI.EventSettings()
        // Room for several events, so that the reading listener is never the one dropped on a busy machine.
        settings.listenerBuffer = 256 * 1024
        let server = try TestServer(events: settings)
        let port = try #require(UInt16(server.base.split(separator: ":").last ?? ""))
        let stuck = Self.openListener(port: port, token: nil, receiveBuffer: 4096)
        defer { close(stuck) }
        let reader = try CurlStream(server.base + "/events?type=sandbox.created")
        try #require(await eventuallyAsync(5) { reader.text.hasPrefix("retry:") })
        // Big events (64 labels of 255 bytes, twice in each Sandbox): a few fill any buffer.
        var labels: [String: String] = [:]
        for index in 0..<64 { labels["label\(index)"] = String(repeating: "v", count: 255) }
        var ids: [String] = []
        for _ in 0..<12 {
            let sandbox = try await server.createSandbox(["command": ["true"], "labels": labels])
            _ = try await server.waitSandbox(sandbox.id)
            ids.append(sandbox.id)
        }
        #expect(await eventuallyAsync(10) { reader.events.count == 12 })
        #expect(reader.events.compactMap { $0.json["id"] as? String } == ids)
        let metrics = try await server.get("/metrics").text
        #expect(
            metrics.contains("namespaced_event_listeners_dropped_total 1"),
            "\(metrics.split(separator: "\n").filter { $0.contains("listeners") })")
        // The stuck client finds its connection closed once it reads what the kernel held for it.
        var buffer = [UInt8](repeating: 0, count: 65536)
        var closed = false
        let deadline = Date().addingTimeInterval(5)
        while !closed, Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(stuck, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 || (n < 0 && errno != EAGAIN) {
                closed = true
            } else if n < 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(closed, "the dropped listener's connection is still open")
        for id in ids { _ = try await server.deleteSandbox(id) }
    }
}
