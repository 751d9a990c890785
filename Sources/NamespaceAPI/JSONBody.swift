import Foundation
import HTTPServer
import NamespaceKit

/// Reads a request's JSON body strictly: right media type, an object, at most 64 levels deep,
/// no unknown members, right types. Every refusal says which member and why.
enum JSONBody {
    static let maxDepth = 64

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) throws(Problem) -> T {
        let contentType = request.header("content-type")
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else { throw .unsupportedMediaType(contentType) }
        guard !request.body.isEmpty else { throw .badRequest("a JSON object is required as the body") }
        try checkDepth(request.body)
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let error as UnknownMemberError {
            let place = error.path.isEmpty ? "the body" : error.path
            throw .badRequest("unknown member '\(error.member)' in \(place)")
        } catch let error as NullMemberError {
            throw .badRequest("\(error.path): must not be null; leave the member out for its default")
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let member = outOfRangeNumber(in: request.body)
            {
                // Foundation refuses some numbers (1e300) without saying where; find the member.
                throw .badRequest("\(member): the number is out of range")
            }
            throw .badRequest(describe(error))
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
    }

    /// Foundation's parser recurses; refuse deep nesting before it runs.
    static func checkDepth(_ body: [UInt8]) throws(Problem) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth { throw .badRequest("JSON nesting deeper than \(maxDepth) levels") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    /// The path of the first number that is not a 64-bit integer, if the body parses at all.
    static func outOfRangeNumber(in body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
        func find(_ value: Any, _ path: String) -> String? {
            switch value {
            case let object as [String: Any]:
                for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                    if let found = find(member, path.isEmpty ? key : path + "." + key) { return found }
                }
            case let array as [Any]:
                for (index, element) in array.enumerated() {
                    if let found = find(element, path + "[\(index)]") { return found }
                }
            case let number as NSNumber where !(number is Bool):
                if Int64(exactly: number.doubleValue) == nil, number.int64Value.description != number.stringValue { return path }
            default:
                break
            }
            return nil
        }
        return find(object, "")
    }

    static func path(_ codingPath: [CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "the body" : text
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), not null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON: \(context.debugDescription)" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "the body does not match the schema"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is UInt32.Type: return "an integer from 0 to 4294967295"
        case is Int64.Type, is Int.Type, is Int32.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a value of type \(name)"
        }
    }
}
