import Foundation

/// The spec is a resource of this module; api/openapi.yaml links to it for readers of the repo.
public enum OpenAPIDocument {
    /// nil when the resource bundle was not installed next to the executable.
    public static func load() -> String? {
        let name = "namespaced_NamespaceAPI.resources"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for directory in [Bundle.main.bundleURL, executable] {
            let url = directory.appendingPathComponent(name).appendingPathComponent("openapi.yaml")
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        return nil
    }
}
