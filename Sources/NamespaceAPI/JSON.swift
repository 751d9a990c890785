import Foundation
import HTTPServer

/// One encoder configuration for every JSON body the API writes.
enum JSON {
    static func encode<T: Encodable>(_ value: T) throws(Problem) -> [UInt8] {
        let encoder = JSONEncoder()
        // Sorted keys: Foundation does not keep declaration order, and a stable byte order keeps ETags stable.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw Problem.internalError("could not encode the response: \(error)")
        }
    }

    static func response<T: Encodable>(_ value: T, status: Int = 200) throws(Problem) -> Reply {
        .now(.json(try encode(value), status: status))
    }
}

/// `{"items": [...]}`: every list, with room for paging members later.
struct Items<T: Encodable>: Encodable {
    var items: [T]
}
