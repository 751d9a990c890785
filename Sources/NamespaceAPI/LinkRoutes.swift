import HTTPServer
import NamespaceKit

/// `/sandboxes/{ref}/links` and `/namespaces/net/{ref}/links`: veth pairs between a sandbox's or
/// a held network namespace and the server's. Making and removing them changes the host's
/// interfaces: `admin`.
struct LinkRoutes: Sendable {
    let manager: SandboxManager

    /// The namespace a request's links are in, and how answers name it.
    struct Target {
        /// Nil when it is gone (the sandbox has exited): it has no links.
        var namespace: NetworkNamespace?
        /// "sandbox 'web-1'", for problem details.
        var owner: String
        /// Why nothing can be made when the namespace is gone: "is not running".
        var gone: String
        /// The collection's path, for a created link's Location.
        var path: String
        /// What to do instead when the namespace is the server's own.
        var ownNamespaceHint: String
    }

    func register(in group: inout RouterGroup) {
        register("/sandboxes/{ref}/links", in: &group) { request throws(Problem) in try sandbox(request) }
        register("/namespaces/net/{ref}/links", in: &group) { request throws(Problem) in try namespace(request) }
    }

    /// The four routes of one collection of links; `target` finds the namespace a request names.
    private func register(
        _ collection: String, in group: inout RouterGroup,
        target: @escaping @Sendable (Request) throws(Problem) -> Target
    ) {
        group.on("POST", collection, scope: .admin) { request throws(Problem) in
            try Self.create(request) { () throws(Problem) in try target(request) }
        }
        group.on("GET", collection, scope: .read) { request throws(Problem) in try Self.list(try target(request)) }
        group.on("GET", collection + "/{name}", scope: .read) { request throws(Problem) in
            try Self.show(request.parameter("name"), in: try target(request))
        }
        group.on("DELETE", collection + "/{name}", scope: .admin) { request throws(Problem) in
            try Self.delete(request.parameter("name"), in: try target(request))
        }
    }

    func sandbox(_ request: Request) throws(Problem) -> Target {
        do throws(SandboxError) {
            let sandbox = try manager.get(request.parameter("ref"))
            return Target(
                namespace: try manager.networkNamespace(of: sandbox.id), owner: "sandbox '\(sandbox.name ?? sandbox.id)'",
                gone: "is not running", path: "/sandboxes/\(sandbox.id)/links",
                ownNamespaceHint: "create the sandbox with \"net\" in its namespaces, or joined to a held net namespace")
        } catch {
            throw Problem(error)
        }
    }

    /// A held net namespace by name or inode, or a sandbox's by inode.
    func namespace(_ request: Request) throws(Problem) -> Target {
        let reference = request.parameter("ref")
        let found: (owner: NetworkNamespaceOwner, namespace: NetworkNamespace?)?
        do throws(SandboxError) { found = try manager.networkNamespace(reference: reference) } catch { throw Problem(error) }
        guard let found else {
            throw .notFound("no net namespace held as '\(reference)', and none of a sandbox with inode '\(reference)'")
        }
        switch found.owner {
        case .held(let name):
            return Target(
                namespace: found.namespace, owner: "net namespace '\(name)'", gone: "is gone",
                path: "/namespaces/net/\(name)/links", ownNamespaceHint: "")
        case .sandbox(let id, let inode):
            return Target(
                namespace: found.namespace, owner: "net namespace \(inode) of sandbox \(id)", gone: "is gone",
                path: "/namespaces/net/\(inode)/links", ownNamespaceHint: "")
        }
    }

    // MARK: the operations, whatever the namespace belongs to

    /// The body is checked before the target is looked up: a bad request touches nothing.
    static func create(_ request: Request, target: () throws(Problem) -> Target) throws(Problem) -> Reply {
        let body = try JSONBody.decode(LinkRequest.self, from: request)
        let validated: LinkRequest.Validated
        do throws(LinkError) { validated = try body.validated() } catch { throw Problem(error, owner: "") }
        let target = try target()
        guard let namespace = target.namespace else {
            throw Problem(slug: "conflict", title: "Conflict", status: 409, detail: "\(target.owner) \(target.gone)")
        }
        let link: Link
        do throws(LinkError) { link = try VethLinks.create(validated, in: namespace) } catch {
            throw Problem(error, owner: target.owner, hint: target.ownNamespaceHint)
        }
        return .now(.json(try JSON.encode(link), status: 201).adding("Location", "\(target.path)/\(link.name)"))
    }

    static func list(_ target: Target) throws(Problem) -> Reply {
        try JSON.response(Items(items: try links(target)))
    }

    static func show(_ name: String, in target: Target) throws(Problem) -> Reply {
        guard let link = try links(target).first(where: { $0.name == name }) else {
            throw Problem(LinkError.noSuchLink(name), owner: target.owner)
        }
        return try JSON.response(link)
    }

    static func delete(_ name: String, in target: Target) throws(Problem) -> Reply {
        guard let namespace = target.namespace else { throw Problem(LinkError.noSuchLink(name), owner: target.owner) }
        do throws(LinkError) { try VethLinks.delete(named: name, in: namespace) } catch {
            throw Problem(error, owner: target.owner, hint: target.ownNamespaceHint)
        }
        return .now(.empty())
    }

    private static func links(_ target: Target) throws(Problem) -> [Link] {
        guard let namespace = target.namespace else { return [] }
        do throws(LinkError) { return try VethLinks.list(in: namespace) } catch {
            throw Problem(error, owner: target.owner, hint: target.ownNamespaceHint)
        }
    }
}
