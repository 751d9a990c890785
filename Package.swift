// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "namespaced",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "namespaced", targets: ["namespaced"]),
        // The spawner the server starts sandboxes through; it must sit next to `namespaced`.
        .executable(name: "nsd-init", targets: ["nsd-init"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        // GnuTLS is called directly for the certificate callback and client certificate checks.
        .target(name: "CHTTPShim", dependencies: ["CMicroHTTPD"], linkerSettings: [.linkedLibrary("gnutls")]),
        .systemLibrary(
            name: "CSeccomp",
            pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // The one description of a spawn/exec config and its wire format, shared by the shim and nsd-init.
        .target(name: "NSDWire"),
        .target(name: "CNamespace", dependencies: ["NSDWire"]),
        // rtnetlink (veth pairs, addresses) through libmnl.
        .target(name: "CNetlink", linkerSettings: [.linkedLibrary("mnl")]),
        .executableTarget(
            name: "nsd-init", dependencies: ["NSDWire"], path: "Sources/nsd-init",
            linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .target(
            name: "NamespaceKit",
            dependencies: ["CNamespace", "CNetlink", "CSeccomp", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),
        .target(
            name: "HTTPServer",
            dependencies: [
                "CMicroHTTPD", "CHTTPShim", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "NamespaceAPI",
            dependencies: [
                "NamespaceKit", "HTTPServer", .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/ui")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "namespaced",
            dependencies: [
                "NamespaceAPI", "HTTPServer", "NamespaceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], swiftSettings: strict),
        .testTarget(name: "NamespaceKitTests", dependencies: ["NamespaceKit"], swiftSettings: strict),
        .testTarget(
            name: "NamespaceAPITests",
            dependencies: ["NamespaceAPI", "HTTPServer", "NamespaceKit", "CNamespace"],
            swiftSettings: strict
        ),
    ]
)
