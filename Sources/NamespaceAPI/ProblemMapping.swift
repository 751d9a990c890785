import HTTPServer
import NamespaceKit
import SystemPackage

/// The one place where NamespaceKit's errors become problem documents.
extension Problem {
    init(_ error: InventoryError) {
        switch error {
        case .noSuchNamespace(let type, let inode):
            self = .notFound("no \(type.rawValue) namespace with inode \(inode)")
        case .noSuchProcess(let pid):
            self = .notFound("no process with pid \(pid)")
        }
    }

    init(_ error: SystemError) {
        self = .internalError(error.description)
    }
}

extension Problem {
    init(_ error: SpecError) {
        self = .badRequest(error.description)
    }

    init(_ error: SandboxError) {
        switch error {
        case .notFound(let reference):
            self = .notFound("no sandbox with id or name '\(reference)'")
        case .nameTaken(let name):
            self = Problem(slug: "conflict", title: "Conflict", status: 409, detail: "the name '\(name)' is already taken")
        case .notRunning(let reference):
            self = Problem(slug: "conflict", title: "Conflict", status: 409, detail: "sandbox '\(reference)' is not running")
        case .namespaceLimit(let type, let max, let used):
            self = Problem(
                slug: "namespace-limit", title: "Namespace limit reached", status: 429,
                detail: "creating a \(type.rawValue) namespace would exceed \(type.sysctlPath) (max \(max), used \(used))",
                extensions: [
                    ("namespaceType", .string(type.rawValue)), ("max", .int(max)), ("used", .int(used)),
                    ("sysctl", .string(type.sysctlPath)),
                ])
        case .quota(let max, let used):
            self = Problem(
                slug: "sandbox-quota", title: "Sandbox quota reached", status: 429,
                detail: "the server runs at most \(max) sandboxes (--max-sandboxes); \(used) are running",
                extensions: [("max", .int(max)), ("used", .int(used))])
        case .spawnFailed(let step, let errno, let detail):
            self = .stepFailed(title: "Sandbox could not start", step: step, errno: errno, detail: detail)
        case .execFailed(let step, let errno, let detail):
            self = .stepFailed(title: "Command could not start", step: step, errno: errno, detail: detail)
        case .idempotencyMismatch(let key):
            self = Problem(
                slug: "idempotency-mismatch", title: "Idempotency key reused", status: 422,
                detail: "Idempotency-Key '\(key)' was used with a different request body; use a new key for a new request")
        case .idempotencyInProgress(let key):
            self = Problem(
                slug: "conflict", title: "Conflict", status: 409,
                detail: "a request with Idempotency-Key '\(key)' is still in progress; retry it shortly")
        case .execLimit(let limit):
            self = Problem(
                slug: "exec-limit", title: "Too many execs", status: 429,
                detail: "\(limit) execs are already running; retry when one has finished",
                extensions: [("max", .int(limit))])
        case .invalidSpec(let error):
            self = Problem(error)
        case .resourceUnavailable(let member, let controller):
            self = Problem(
                slug: "resource-unavailable", title: "Resource unavailable", status: 422,
                detail:
                    "\(member) needs the \(controller.rawValue) cgroup controller, which this server has not got (see --cgroup-driver and the start-up log)",
                extensions: [("controller", .string(controller.rawValue)), ("member", .string(member))])
        case .unknownJoinTarget(let type, let target, let reason):
            self = Problem(
                slug: "unknown-join-target", title: "Namespace to join not found", status: 422,
                detail: "join.\(type.rawValue) '\(target)': \(reason)",
                extensions: [("namespaceType", .string(type.rawValue)), ("target", .string(target))])
        case .internalFailure(let detail):
            self = .internalError(detail)
        case .storage(let error):
            self = Problem(
                slug: "storage-unavailable", title: "State directory unavailable", status: 503,
                detail: error.description)
        }
    }
}

extension Problem {
    /// - Parameter owner: what the namespace belongs to, as details name it ("sandbox 'web-1'").
    /// - Parameter hint: how to get a namespace of one's own, when the one named is the server's.
    init(_ error: LinkError, owner: String, hint: String = "") {
        switch error {
        case .invalid(let member, let rule):
            self = .badRequest("\(member): \(rule)")
        case .nameTaken(let name, let side):
            let place = side == .host ? "in the server's network namespace (the host)" : "inside \(owner)"
            self = Problem(
                slug: "conflict", title: "Conflict", status: 409, detail: "an interface named '\(name)' exists already \(place)",
                extensions: [("name", .string(name)), ("side", .string(side.rawValue))])
        case .serversOwnNamespace:
            self = Problem(
                slug: "conflict", title: "Conflict", status: 409,
                detail: "\(owner) is in the server's own network namespace: a link joins a namespace of its own to it"
                    + (hint.isEmpty ? "" : "; \(hint)"))
        case .noSuchLink(let name):
            self = .notFound("no link named '\(name)' between \(owner) and the host")
        case .failed(let step, let side, let errno):
            self = Problem(
                slug: "link-failed", title: "Link failed", status: 422,
                detail:
                    "\(step)\(side.map { " (\($0.rawValue) side)" } ?? ""): \(errno) (errno \(errno.rawValue)); nothing was left behind",
                extensions: [("step", .string(step)), ("errno", .int(Int(errno.rawValue)))]
                    + (side.map { [("side", .string($0.rawValue))] } ?? []))
        }
    }
}

extension Problem {
    /// `step` is the stable value a client switches on; `detail` says the same in words and names
    /// what the step worked on.
    static func stepFailed(title: String, step: String, errno: Errno, detail: String?) -> Problem {
        let subject = detail.map { "\($0): " } ?? ""
        return Problem(
            slug: "spawn-failed", title: title, status: 422,
            detail: "\(step): \(subject)\(errno) (errno \(errno.rawValue))",
            extensions: [("step", .string(step)), ("errno", .int(Int(errno.rawValue)))])
    }

    init(_ error: HeldNamespaceError) {
        switch error {
        case .notFound(let type, let reference):
            self = .notFound("no held \(type.rawValue) namespace with name or inode '\(reference)'")
        case .notHeld(let type, let inode):
            self = Problem(
                slug: "conflict", title: "Conflict", status: 409,
                detail:
                    "the \(type.rawValue) namespace \(inode) is not held by namespaced; it ends with its last process or mount")
        case .nameTaken(let type, let name):
            self = Problem(
                slug: "conflict", title: "Conflict", status: 409,
                detail: "a held \(type.rawValue) namespace named '\(name)' exists already")
        case .inUse(let type, let name, let sandboxes):
            self = Problem(
                slug: "namespace-in-use", title: "Namespace in use", status: 409,
                detail: "running sandboxes are in the held \(type.rawValue) namespace '\(name)': "
                    + sandboxes.joined(separator: ", ") + "; delete them first, or DELETE with ?force=true",
                extensions: [("sandboxes", .string(sandboxes.joined(separator: ",")))])
        case .sandbox(.spawnFailed(let step, let errno, let detail)):
            self = .stepFailed(title: "Namespace could not be made", step: step, errno: errno, detail: detail)
        case .sandbox(let error):
            self = Problem(error)
        }
    }
}
