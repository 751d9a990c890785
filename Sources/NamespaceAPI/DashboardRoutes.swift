import HTTPServer

/// `/ui/`: the dashboard's page, script and style, served without credentials (they hold none;
/// the page asks for a token and sends it with its own API calls).
struct DashboardRoutes: Sendable {
    struct Asset: Sendable {
        var response: Response
    }

    /// The files of the page, read once; a missing resource bundle answers 404.
    private let assets: [String: Response]

    init() {
        var assets: [String: Response] = [:]
        for (name, type) in [
            ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"),
            ("app.css", "text/css; charset=utf-8"),
        ] {
            guard let data = PackageResources.data("ui/" + name) else { continue }
            assets[name] = Response(status: 200, headers: [("Content-Type", type)] + Self.headers, body: Array(data))
        }
        self.assets = assets
    }

    /// The page may load only itself and talk only to this server; it may not be framed.
    static let headers: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ]

    func register(in group: inout RouterGroup) {
        group.on("GET", "/ui/", scope: .read) { _ throws(Problem) in try asset("index.html") }
        group.on("GET", "/ui/{asset}", scope: .read) { request throws(Problem) in try asset(request.parameter("asset")) }
    }

    func asset(_ name: String) throws(Problem) -> Reply {
        guard let response = assets[name] else { throw .notFound("no dashboard file '\(name)'") }
        return .now(response)
    }
}
