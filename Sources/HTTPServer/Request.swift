/// One HTTP request, fully read, as handlers see it.
public struct Request: Sendable {
    public var method: String
    public var path: String
    /// Query arguments in the order sent; a name may repeat.
    public var query: [(name: String, value: String)]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Path parameters filled in by the router.
    public var parameters: [String: String] = [:]

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.asciiLowercased] }

    /// Every value of a query argument, in order.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
}
