import HTTPServer
import NamespaceKit

/// `POST /namespaces` and `DELETE /namespaces/{type}/{ref}`: namespaces made and held on their own.
struct HeldNamespaceRoutes: Sendable {
    let manager: SandboxManager

    func register(in group: inout RouterGroup) {
        group.on("POST", "/namespaces", scope: .operate) { request throws(Problem) in try create(request) }
        group.on("DELETE", "/namespaces/{type}/{inode}", scope: .operate, query: ["force"]) { request throws(Problem) in
            try delete(request)
        }
    }

    func create(_ request: Request) throws(Problem) -> Reply {
        let body = try JSONBody.decode(HeldNamespaceRequest.self, from: request)
        let resolved: HeldNamespaceRequest.Resolved
        do throws(SpecError) { resolved = try body.resolve() } catch { throw Problem(error) }
        let record: HeldNamespace
        do throws(HeldNamespaceError) { record = try manager.held.create(resolved) } catch { throw Problem(error) }
        let namespace: Namespace
        if record.keeperPid == nil {
            namespace = manager.inventory.unoccupied(type: record.type, inode: record.inode, mountPoint: record.path)
        } else {
            do throws(InventoryError) {
                namespace = try manager.inventory.detail(type: record.type, inode: record.inode).namespace
            } catch {
                throw Problem(error)
            }
        }
        let body201 = try JSON.encode(namespace)
        return .now(Response.json(body201, status: 201).adding("Location", "/namespaces/\(record.type.rawValue)/\(record.name)"))
    }

    func delete(_ request: Request) throws(Problem) -> Reply {
        let type = try QueryParameters.type(request.parameter("type"))
        let force = try Self.flag(request, "force")
        let reference = request.parameter("inode")
        return .later { [manager] complete in
            do throws(HeldNamespaceError) {
                try manager.deleteHeld(type, reference, force: force) { failure in
                    complete(failure.map { Problem($0).response } ?? .empty())
                }
            } catch {
                complete(Problem(error).response)
            }
        }
    }

    static func flag(_ request: Request, _ name: String) throws(Problem) -> Bool {
        let values = request.queryValues(name)
        guard let value = values.first else { return false }
        guard values.count == 1, value == "true" || value == "false" else {
            throw .badRequest("\(name): must be true or false, given once")
        }
        return value == "true"
    }
}
