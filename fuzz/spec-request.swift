import Foundation
import NamespaceKit

/// A client's SandboxSpec body: decoding and resolve() never crash, and a spec that resolves
/// encodes to JSON that decodes and resolves back to the same spec (what the registry stores
/// is what the client is answered, and what a restart reads).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? JSONDecoder().decode(SandboxSpecRequest.self, from: body),
        let spec = try? request.resolve()
    else { return 0 }
    let encoded: Data
    do { encoded = try JSONEncoder().encode(spec) } catch { fatalError("a resolved spec does not encode: \(error)") }
    do {
        let again = try JSONDecoder().decode(SandboxSpecRequest.self, from: encoded).resolve()
        precondition(again == spec, "the encoded spec resolves to another spec: \(String(decoding: encoded, as: UTF8.self))")
        let stored = try JSONDecoder().decode(SandboxSpec.self, from: encoded)
        precondition(stored == spec, "the stored form differs: \(String(decoding: encoded, as: UTF8.self))")
    } catch {
        fatalError("a resolved spec does not read back: \(error): \(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}
