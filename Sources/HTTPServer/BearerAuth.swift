/// Bearer-token check on every request but the ones `isPublic` lets through.
public struct BearerAuth: Sendable {
    private let token: [UInt8]

    public init(token: String) {
        self.token = Array(token.utf8)
    }

    /// nil when authorised, else the 401 to answer.
    public func check(_ request: Request) -> Problem? {
        guard let header = request.header("authorization") else {
            return .unauthorized("this route needs an Authorization: Bearer token")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            return .unauthorized("the Authorization header must use the Bearer scheme")
        }
        let offered = Array(header.utf8.dropFirst(prefix.utf8.count))
        return Self.constantTimeEqual(offered, token) ? nil : .unauthorized("the bearer token is not valid")
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
