import HTTPServer
import NamespaceKit

/// `/namespaces`, `/namespaces/{type}/{inode}`, `/processes/{pid}/namespaces`, `/limits`.
struct NamespaceRoutes: Sendable {
    let inventory: Inventory
    let held: HeldNamespaces
    let limits: Limits
    let limitsMaxAge: Double

    struct ProcessNamespaces: Encodable {
        var pid: Int32
        var namespaces: NamespaceInodes
    }

    struct Detail: Encodable {
        var namespace: Namespace
        var processes: [NamespaceProcess]

        /// The namespace's members and `processes` side by side in one object.
        func encode(to encoder: Encoder) throws {
            try namespace.encode(to: encoder)
            enum Key: String, CodingKey { case processes }
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(processes, forKey: .processes)
        }
    }

    func register(in group: inout RouterGroup) {
        group.on("GET", "/namespaces", scope: .read, query: ["type", "pid", "uid"]) { request throws(Problem) in try list(request)
        }
        group.on("GET", "/namespaces/{type}/{inode}", scope: .read) { request throws(Problem) in try detail(request) }
        group.on("GET", "/processes/{pid}/namespaces", scope: .read) { request throws(Problem) in try ofProcess(request) }
        let limitsBody = CachedBody(maxAge: limitsMaxAge)
        group.on("GET", "/limits", scope: .read) { _ throws(Problem) in try currentLimits(limitsBody) }
    }

    func list(_ request: Request) throws(Problem) -> Reply {
        let query = QueryParameters(request: request)
        let filter = InventoryQuery(
            types: try query.types(),
            pid: try query.integer("pid", Int32.self, minimum: 1),
            uid: try query.integer("uid", UInt32.self))
        return try JSON.response(Items(items: inventory.list(filter)))
    }

    func detail(_ request: Request) throws(Problem) -> Reply {
        let type = try QueryParameters.type(request.parameter("type"))
        let reference = request.parameter("inode")
        // A held namespace by name; a gone one is shown as recorded.
        if let record = held.find(type, reference) {
            if record.gone {
                let gone = inventory.list(InventoryQuery(types: [type])).first { $0.gone && $0.name == record.name }
                if let gone { return try JSON.response(Detail(namespace: gone, processes: [])) }
            }
            return try detail(type: type, inode: record.inode)
        }
        let digits = !reference.isEmpty && reference.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        if !digits, HeldNamespaceRequest.isValidName(reference) {
            throw .notFound("no held \(type.rawValue) namespace named '\(reference)'")
        }
        let inode = try QueryParameters.number(reference, name: "inode or name", UInt64.self, minimum: 1)
        return try detail(type: type, inode: inode)
    }

    func detail(type: NamespaceType, inode: UInt64) throws(Problem) -> Reply {
        let detail: NamespaceDetail
        do throws(InventoryError) { detail = try inventory.detail(type: type, inode: inode) } catch { throw Problem(error) }
        return try JSON.response(Detail(namespace: detail.namespace, processes: detail.processes))
    }

    func ofProcess(_ request: Request) throws(Problem) -> Reply {
        let pid = try QueryParameters.number(request.parameter("pid"), name: "pid", Int32.self, minimum: 1)
        let inodes: [NamespaceType: UInt64?]
        do throws(InventoryError) { inodes = try inventory.namespaces(ofProcess: pid) } catch { throw Problem(error) }
        return try JSON.response(ProcessNamespaces(pid: pid, namespaces: NamespaceInodes(inodes)))
    }

    /// Dashboards poll this: one census and one encoding serve every poll of a period.
    func currentLimits(_ cache: CachedBody) throws(Problem) -> Reply {
        .now(
            try cache.get { () throws(Problem) in
                let current: [NamespaceLimit]
                do throws(SystemError) { current = try limits.current() } catch { throw Problem(error) }
                return try JSON.encode(Items(items: current))
            })
    }
}
