import Foundation

/// The spec is a resource of this module; api/openapi.yaml links to it for readers of the repo.
public enum OpenAPIDocument {
    /// nil when the resource bundle was not installed next to the executable.
    public static func load() -> String? {
        PackageResources.data("openapi.yaml").map { String(decoding: $0, as: UTF8.self) }
    }
}
