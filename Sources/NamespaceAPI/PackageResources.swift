import Foundation

/// Files of this module's resource bundle, found next to the executable (or the main bundle).
enum PackageResources {
    static func data(_ path: String) -> Data? {
        let name = "namespaced_NamespaceAPI.resources"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for directory in [Bundle.main.bundleURL, executable] {
            if let data = try? Data(contentsOf: directory.appendingPathComponent(name).appendingPathComponent(path)) {
                return data
            }
        }
        return nil
    }
}
