import HTTPServer
import Testing

/// The router alone, without a server: matching, parameters, 404/405, declared query parameters.
struct RouterTests {
    static func router() -> Router {
        var router = Router()
        router.group([]) { group in
            group.on("GET", "/sandboxes", scope: .read, query: ["state", "label"]) { request throws(Problem) in
                .now(.text("list \(request.queryValues("state"))", contentType: "text/plain"))
            }
            group.on("GET", "/sandboxes/{ref}", scope: .read) { request throws(Problem) in
                .now(.text("get \(request.parameter("ref"))", contentType: "text/plain"))
            }
            group.on("DELETE", "/sandboxes/{ref}", scope: .operate) { request throws(Problem) in
                .now(.text("delete \(request.parameter("ref")) \(request.scope)", contentType: "text/plain"))
            }
            group.on("GET", "/namespaces/{type}/{inode}", scope: .read) { request throws(Problem) in
                .now(.text("\(request.parameter("type")):\(request.parameter("inode"))", contentType: "text/plain"))
            }
        }
        router.setFallback([])
        return router
    }

    static func answer(_ method: String, _ path: String, query: [(name: String, value: String)] = []) -> (
        Int, String, [(name: String, value: String)]
    ) {
        guard case .now(let response) = router().route(Request(method: method, path: path, query: query)) else {
            return (0, "", [])
        }
        return (response.status, String(decoding: response.body, as: UTF8.self), response.headers)
    }

    @Test func literalAndParameterSegmentsMatch() {
        #expect(Self.answer("GET", "/sandboxes/web-1").1 == "get web-1")
        #expect(Self.answer("GET", "/namespaces/pid/4026531836").1 == "pid:4026531836")
        #expect(Self.answer("DELETE", "/sandboxes/x").1 == "delete x operate", "the route's scope travels with the request")
    }

    @Test func emptySegmentsAreIgnoredAndHeadIsGet() {
        #expect(Self.answer("GET", "//sandboxes//web-1/").1 == "get web-1")
        #expect(Self.answer("HEAD", "/sandboxes/web-1").0 == 200)
    }

    @Test func unknownPathsAre404AndWrongMethods405WithAllow() {
        #expect(Self.answer("GET", "/nope").0 == 404)
        #expect(Self.answer("GET", "/sandboxes/a/b").0 == 404)
        let (status, _, headers) = Self.answer("POST", "/sandboxes/web-1")
        #expect(status == 405)
        let allow = headers.first { $0.name.lowercased() == "allow" }?.value ?? ""
        #expect(Set(allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == ["GET", "HEAD", "DELETE"])
    }

    @Test func onlyDeclaredQueryParametersAreAccepted() {
        #expect(Self.answer("GET", "/sandboxes", query: [("state", "running")]).1 == "list [\"running\"]")
        let (status, body, _) = Self.answer("GET", "/sandboxes", query: [("stat", "running")])
        #expect(status == 400 && body.contains("unknown query parameter 'stat'"), "\(body)")
        #expect(Self.answer("GET", "/sandboxes/web-1", query: [("x", "1")]).0 == 400, "a route that declares none accepts none")
    }

    @Test func theTableListsEveryRouteInOrder() {
        #expect(
            Self.router().table.map { "\($0.method) \($0.pattern)" } == [
                "GET /sandboxes", "GET /sandboxes/{ref}", "DELETE /sandboxes/{ref}", "GET /namespaces/{type}/{inode}",
            ])
    }
}
