import HTTPServer
import NamespaceKit

/// `/namespaces`, `/namespaces/{type}/{inode}`, `/processes/{pid}/namespaces`, `/limits`.
struct NamespaceRoutes {
    let inventory: Inventory
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

    func register(in router: inout Router) {
        let inventory = self.inventory
        let limits = self.limits
        router.add("GET", "/namespaces") { request throws(Problem) in
            let query = QueryParameters(request: request)
            try query.allowOnly(["type", "pid", "uid"])
            let filter = InventoryQuery(types: try query.types(),
                                        pid: try query.integer("pid", Int32.self, minimum: 1),
                                        uid: try query.integer("uid", UInt32.self))
            return try JSON.response(Items(items: inventory.list(filter)))
        }
        router.add("GET", "/namespaces/{type}/{inode}") { request throws(Problem) in
            try QueryParameters(request: request).allowOnly([])
            let type = try QueryParameters.type(request.parameters["type"] ?? "")
            let inode = try QueryParameters.number(request.parameters["inode"] ?? "", name: "inode", UInt64.self, minimum: 1)
            let detail: NamespaceDetail
            do throws(InventoryError) { detail = try inventory.detail(type: type, inode: inode) } catch { throw Problem(error) }
            return try JSON.response(Detail(namespace: detail.namespace, processes: detail.processes))
        }
        router.add("GET", "/processes/{pid}/namespaces") { request throws(Problem) in
            try QueryParameters(request: request).allowOnly([])
            let pid = try QueryParameters.number(request.parameters["pid"] ?? "", name: "pid", Int32.self, minimum: 1)
            let inodes: [NamespaceType: UInt64?]
            do throws(InventoryError) { inodes = try inventory.namespaces(ofProcess: pid) } catch { throw Problem(error) }
            return try JSON.response(ProcessNamespaces(pid: pid, namespaces: NamespaceInodes(inodes)))
        }
        let limitsBody = CachedBody(maxAge: limitsMaxAge)
        router.add("GET", "/limits") { request throws(Problem) in
            try QueryParameters(request: request).allowOnly([])
            // Dashboards poll this: one census and one encoding serve every poll of a period.
            return .now(try limitsBody.get { () throws(Problem) in
                let current: [NamespaceLimit]
                do throws(SystemError) { current = try limits.current() } catch { throw Problem(error) }
                return try JSON.encode(Items(items: current))
            })
        }
    }
}
