import HTTPServer
import NamespaceKit

/// Strict parsing of query arguments and path parameters: anything unexpected is a 400 that says what.
struct QueryParameters {
    let request: Request

    func types(_ name: String = "type") throws(Problem) -> Set<NamespaceType> {
        var result = Set<NamespaceType>()
        for value in request.queryValues(name) {
            guard let types = NamespaceType.parseList(value) else {
                throw .badRequest(
                    "\(name): '\(value)' is not a namespace type; expected one or more of \(Self.typeNames), comma-separated")
            }
            result.formUnion(types)
        }
        return result
    }

    func integer<T: FixedWidthInteger>(_ name: String, _: T.Type, minimum: T = 0) throws(Problem) -> T? {
        let values = request.queryValues(name)
        guard let text = values.first else { return nil }
        guard values.count == 1 else { throw .badRequest("\(name): give it at most once") }
        return try Self.number(text, name: name, T.self, minimum: minimum)
    }

    /// `true` or `false` (absent: false).
    func boolean(_ name: String) throws(Problem) -> Bool {
        let values = request.queryValues(name)
        guard let text = values.first else { return false }
        guard values.count == 1 else { throw .badRequest("\(name): give it at most once") }
        switch text {
        case "true": return true
        case "false": return false
        default: throw .badRequest("\(name): '\(text)' must be true or false")
        }
    }

    static func number<T: FixedWidthInteger>(_ text: String, name: String, _: T.Type, minimum: T = 0) throws(Problem) -> T {
        guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = T(text), value >= minimum else {
            throw .badRequest("\(name): '\(text)' is not an integer from \(minimum) to \(T.max)")
        }
        return value
    }

    static func type(_ text: String) throws(Problem) -> NamespaceType {
        guard let type = NamespaceType(rawValue: text) else {
            throw .badRequest("type: '\(text)' is not a namespace type; expected one of \(typeNames)")
        }
        return type
    }

    static let typeNames = NamespaceType.allCases.map(\.rawValue).joined(separator: ", ")
}
