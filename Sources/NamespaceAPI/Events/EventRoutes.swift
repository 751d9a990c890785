import HTTPServer
import NamespaceKit

/// `GET /events`: the server-sent event stream.
struct EventRoutes: Sendable {
    let hub: EventHub

    func register(in group: inout RouterGroup) {
        group.on("GET", "/events", scope: .read, query: ["type", "since"]) { request throws(Problem) in try events(request) }
    }

    func events(_ request: Request) throws(Problem) -> Reply {
        let selection = try Self.selection(request.queryValues("type"))
        // The header a reconnecting EventSource sends wins over the `since` of the URL it reuses.
        // Both are checked, so a bad one is refused even when the other wins.
        var last = try QueryParameters(request: request).integer("since", UInt64.self)
        if let header = request.header("last-event-id"), !header.isEmpty {
            last = try QueryParameters.number(header, name: "Last-Event-ID", UInt64.self)
        }
        return .now(hub.listen(after: last, selection: selection))
    }

    /// `type` values: families (`sandbox`) or whole names (`sandbox.exited`), comma-separated or repeated.
    static func selection(_ values: [String]) throws(Problem) -> EventSelection {
        guard !values.isEmpty else { return .all }
        var result = Set<String>()
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = String(part)
                if ChangeEvent.Family(rawValue: text) != nil {
                    result.formUnion(ChangeEvent.names.filter { $0.hasPrefix(text + ".") })
                } else if ChangeEvent.names.contains(text) {
                    result.insert(text)
                } else {
                    let families = ChangeEvent.Family.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .badRequest(
                        "type: '\(text)' is neither an event family (\(families)) nor an event name (\(ChangeEvent.names.joined(separator: ", ")))"
                    )
                }
            }
        }
        return EventSelection(names: result)
    }
}
