import Foundation
import HTTPServer
import NamespaceKit
import SystemPackage

/// `/sandboxes` and the actions on one sandbox.
struct SandboxRoutes: Sendable {
    let manager: SandboxManager
    let metrics: APIMetrics

    struct SignalBody: Decodable {
        var signal: Int32

        init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: ["signal"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            let key = AnyKey("signal")
            if let number = try? c.decode(Int.self, forKey: key) {
                guard SignalName.isValid(number) else {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: [key], debugDescription: "\(number) is not a signal number"))
                }
                signal = Int32(number)
            } else if (try? c.decode(Double.self, forKey: key)) != nil {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [key], debugDescription: "must be a whole signal number or a name"))
            } else {
                let name = try c.decode(String.self, forKey: key)
                guard let number = SignalName.number(of: name) else {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: [key], debugDescription: "'\(name)' is not a signal name"))
                }
                signal = number
            }
        }
    }

    struct ExecBody: Decodable {
        var command: [String]
        var env: [String: String]?
        var cwd: String?
        var timeout: Double?

        enum CodingKeys: String, CodingKey, CaseIterable { case command, env, cwd, timeout }

        init(from decoder: Decoder) throws {
            try checkMembers(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            command = try c.decode([String].self, forKey: .command)
            env = try c.decodeIfPresent([String: String].self, forKey: .env)
            cwd = try c.decodeIfPresent(String.self, forKey: .cwd)
            timeout = try c.decodeIfPresent(Double.self, forKey: .timeout)
        }
    }

    func register(in group: inout RouterGroup) {
        group.on("POST", "/sandboxes", scope: .operate) { request throws(Problem) in try measuredCreate(request) }
        group.on("GET", "/sandboxes", scope: .read, query: ["state", "label"]) { request throws(Problem) in try list(request) }
        group.on("GET", "/sandboxes/{ref}", scope: .read) { request throws(Problem) in try show(request) }
        group.on("DELETE", "/sandboxes/{ref}", scope: .operate) { request throws(Problem) in try delete(request) }
        group.on("POST", "/sandboxes/{ref}/wait", scope: .operate, query: ["timeout"]) { request throws(Problem) in
            try wait(request)
        }
        group.on("POST", "/sandboxes/{ref}/signal", scope: .operate) { request throws(Problem) in try signal(request) }
        group.on("POST", "/sandboxes/{ref}/exec", scope: .operate) { request throws(Problem) in try exec(request) }
        group.on("GET", "/sandboxes/{ref}/logs", scope: .read, query: ["stream", "follow"]) { request throws(Problem) in
            try logs(request)
        }
        group.on("GET", "/sandboxes/{ref}/stats", scope: .read) { request throws(Problem) in try stats(request) }
    }

    /// A create, counted by outcome (the problem's slug when refused) and timed when it succeeds.
    func measuredCreate(_ request: Request) throws(Problem) -> Reply {
        let started = DispatchTime.now().uptimeNanoseconds
        do throws(Problem) {
            let reply = try create(request)
            metrics.created(result: "created", nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
            return reply
        } catch {
            metrics.created(result: error.slug, nanoseconds: nil)
            throw error
        }
    }

    func create(_ request: Request) throws(Problem) -> Reply {
        let spec = try JSONBody.decode(SandboxSpecRequest.self, from: request)
        let resolved: SandboxSpec
        do throws(SpecError) { resolved = try spec.resolve() } catch { throw Problem(error) }
        let key = try Self.idempotencyKey(request)
        let created: SandboxManager.Created
        // Encoded while the sandbox's init sets up, off the request's critical path; a replay
        // starts nothing and is encoded here.
        var early: [UInt8]?
        do throws(SandboxError) {
            created = try manager.create(resolved, idempotencyKey: key) { early = try? JSON.encode($0) }
        } catch {
            throw Problem(error)
        }
        let body: [UInt8]
        if let early, !created.replayed { body = early } else { body = try JSON.encode(created.sandbox) }
        var response = Response.json(body, status: 201)
            .adding("Location", "/sandboxes/\(created.sandbox.id)")
        if created.replayed { response = response.adding("Idempotent-Replayed", "true") }
        return .now(response)
    }

    func list(_ request: Request) throws(Problem) -> Reply {
        var state: Sandbox.State?
        if let text = request.queryValues("state").first {
            guard let parsed = Sandbox.State(rawValue: text) else {
                throw .badRequest("state: '\(text)' must be running or exited")
            }
            state = parsed
        }
        var labels: [String: String] = [:]
        for text in request.queryValues("label") {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw .badRequest("label: '\(text)' must be key=value")
            }
            labels[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return try JSON.response(Items(items: manager.list(state: state, labels: labels)))
    }

    func show(_ request: Request) throws(Problem) -> Reply {
        try JSON.response(try existing(request.parameter("ref")))
    }

    func delete(_ request: Request) throws(Problem) -> Reply {
        let reference = request.parameter("ref")
        _ = try existing(reference)
        return .later { [manager] complete in
            do throws(SandboxError) {
                try manager.delete(reference) { failure in
                    complete(failure.map { Problem(SandboxError.storage($0)).response } ?? .empty())
                }
            } catch {
                complete(Problem(error).response)
            }
        }
    }

    func wait(_ request: Request) throws(Problem) -> Reply {
        let timeout = try QueryParameters(request: request).integer("timeout", Int.self) ?? 30
        guard timeout <= 300 else { throw .badRequest("timeout: at most 300 seconds") }
        let reference = request.parameter("ref")
        let current = try existing(reference)
        // Already over, or not to be waited for: answer now, without suspending the connection.
        if current.state == .exited || timeout == 0 { return try JSON.response(current) }
        return .later { [manager] complete in
            do throws(SandboxError) {
                try manager.wait(reference, timeout: Double(timeout)) { sandbox in
                    complete((try? JSON.encode(sandbox)).map { Response.json($0) } ?? Problem.internalError("encoding").response)
                }
            } catch {
                complete(Problem(error).response)
            }
        }
    }

    func signal(_ request: Request) throws(Problem) -> Reply {
        let body = try JSONBody.decode(SignalBody.self, from: request)
        do throws(SandboxError) { try manager.signal(request.parameter("ref"), body.signal) } catch { throw Problem(error) }
        return .now(.empty())
    }

    func exec(_ request: Request) throws(Problem) -> Reply {
        let body = try JSONBody.decode(ExecBody.self, from: request)
        let exec = try Self.validate(body)
        let reference = request.parameter("ref")
        let sandbox = try existing(reference)
        guard sandbox.state == .running else { throw Problem(SandboxError.notRunning(sandbox.id)) }
        return .later { [manager] complete in
            do throws(SandboxError) {
                try manager.exec(reference, exec) { result in
                    switch result {
                    case .success(let output):
                        complete(
                            (try? JSON.encode(output)).map { Response.json($0) } ?? Problem.internalError("encoding").response)
                    case .failure(let error):
                        complete(Problem(error).response)
                    }
                }
            } catch {
                complete(Problem(error).response)
            }
        }
    }

    func logs(_ request: Request) throws(Problem) -> Reply {
        let text = request.queryValues("stream").first ?? "stdout"
        guard let stream = LogStream(rawValue: text) else { throw .badRequest("stream: '\(text)' must be stdout or stderr") }
        if try QueryParameters(request: request).boolean("follow") { return try follow(request, stream) }
        let log: (file: FileDescriptor, size: UInt64)?
        do throws(SandboxError) { log = try manager.logs(request.parameter("ref"), stream: stream) } catch {
            throw Problem(error)
        }
        let contentType = Self.logMediaType(accept: request.header("accept"))
        guard let log else { return .now(.text("", contentType: contentType)) }
        return .now(.file(.init(fd: log.file.rawValue, offset: 0, length: log.size), contentType: contentType))
    }

    /// The log as it grows, to the end of a sandbox that has exited.
    func follow(_ request: Request, _ stream: LogStream) throws(Problem) -> Reply {
        let follower: LogFollower?
        do throws(SandboxError) { follower = try manager.follow(request.parameter("ref"), stream: stream) } catch {
            throw Problem(error)
        }
        let contentType = Self.logMediaType(accept: request.header("accept"))
        guard let follower else { return .now(.text("", contentType: contentType)) }
        return .now(.stream(LogStreamSource(follower: follower), contentType: contentType).adding("X-Accel-Buffering", "no"))
    }

    func stats(_ request: Request) throws(Problem) -> Reply {
        let stats: SandboxStats
        do throws(SandboxError) { stats = try manager.stats(request.parameter("ref")) } catch { throw Problem(error) }
        return try JSON.response(stats)
    }

    /// A log holds whatever the command wrote, not necessarily text: bytes, unless the client
    /// asks for text (and not for bytes) in its Accept header.
    static func logMediaType(accept: String?) -> String {
        let types = (accept ?? "").lowercased().split(separator: ",").map {
            $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        let wantsText = types.contains("text/plain") || types.contains("text/*")
        return wantsText && !types.contains("application/octet-stream") ? "text/plain; charset=utf-8" : "application/octet-stream"
    }

    /// At most 255 printable ASCII characters, like the header values clients generate (UUIDs).
    static func idempotencyKey(_ request: Request) throws(Problem) -> String? {
        guard let key = request.header("idempotency-key") else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .badRequest("Idempotency-Key: must be 1 to 255 printable ASCII characters without spaces")
        }
        return key
    }

    func existing(_ reference: String) throws(Problem) -> Sandbox {
        do throws(SandboxError) { return try manager.get(reference) } catch { throw Problem(error) }
    }

    /// The exec body's bounds, the same as a spec's command, env and cwd.
    static func validate(_ body: ExecBody) throws(Problem) -> ExecRequest {
        var spec = SandboxSpecRequest.empty
        spec.command = body.command
        spec.env = body.env
        spec.cwd = body.cwd
        do throws(SpecError) { _ = try spec.resolve() } catch { throw Problem(error) }
        let timeout = body.timeout ?? 10
        guard timeout > 0, timeout <= 300 else { throw .badRequest("timeout: must be more than 0 and at most 300 seconds") }
        return ExecRequest(command: body.command, env: body.env, cwd: body.cwd, timeout: timeout)
    }
}
