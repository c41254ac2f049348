// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "directus-promoter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "directus-promoter", targets: ["directus-promoter"]),
        .executable(name: "directus-promoter-bench", targets: ["directus-promoter-bench"]),
        .library(name: "DirectusSchema", targets: ["DirectusSchema"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure: order-preserving JSON, snapshots, the Directus-exact diff, apply, hashes, plans.
        .target(
            name: "DirectusSchema",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Pure: pipelines, the promotion state machine, policies.
        .target(name: "PromotionCore", dependencies: ["DirectusSchema"]),
        // Pure: Directus configuration (roles, policies, permissions, flows…) read from exports, in canonical form.
        .target(
            name: "DirectusConfig",
            dependencies: ["DirectusSchema", .product(name: "Crypto", package: "swift-crypto")]),
        // Pure: reference data (rows of user collections promoted with the schema) in canonical form, and its plans.
        .target(
            name: "DirectusContent",
            dependencies: ["DirectusSchema", .product(name: "Crypto", package: "swift-crypto")]),
        // The process's registry of secrets, blanked out of everything written to logs and the state database.
        .target(name: "Redaction"),
        // zstd from the system: SwiftPM asks pkg-config for it and, when it is missing, names the package to install
        // before it builds anything.
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(
            name: "PromotionStore",
            dependencies: [
                "DirectusSchema", "DirectusConfig", "DirectusContent", "PromotionCore", "CZstd", "Redaction",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "DirectusClient",
            dependencies: [
                "DirectusSchema", "DirectusConfig", "Redaction",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "DirectusEmulator",
            dependencies: [
                "DirectusSchema", "DirectusConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "PromotionDaemon",
            dependencies: [
                "DirectusSchema", "DirectusConfig", "DirectusContent", "PromotionCore", "PromotionStore",
                "DirectusClient", "CMalloc", "Redaction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The narrated demo: emulators and the daemon's services on loopback.
        .target(
            name: "PromotionDemo",
            dependencies: [
                "DirectusSchema", "PromotionCore", "PromotionStore", "PromotionDaemon", "DirectusClient",
                "DirectusEmulator",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "directus-promoter",
            dependencies: [
                "PromotionDemo",
                "DirectusSchema",
                "PromotionCore",
                "PromotionStore",
                "PromotionDaemon",
                "DirectusClient",
                "DirectusConfig",
                "DirectusEmulator",
                "Redaction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets: the shared folder, the emulator harness, a manual clock.
        .target(
            name: "TestSupport",
            dependencies: [
                "DirectusEmulator", "DirectusSchema",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "DirectusSchemaTests", dependencies: ["DirectusSchema", "TestSupport"]),
        .testTarget(name: "DirectusConfigTests", dependencies: ["DirectusConfig", "DirectusSchema", "TestSupport"]),
        .testTarget(name: "DirectusContentTests", dependencies: ["DirectusContent", "DirectusSchema", "TestSupport"]),
        .testTarget(name: "PromotionCoreTests", dependencies: ["PromotionCore", "DirectusSchema", "TestSupport"]),
        .testTarget(
            name: "PromotionStoreTests",
            dependencies: ["PromotionStore", "DirectusSchema", "DirectusContent", "TestSupport", "store-stress"]),
        // Benchmarks: swift run -c release directus-promoter-bench store
        .executableTarget(
            name: "directus-promoter-bench",
            dependencies: [
                "PromotionStore", "PromotionCore", "DirectusSchema", "DirectusClient", "DirectusEmulator",
                "PromotionDaemon",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // A helper process for the store's multi-process and crash tests.
        .executableTarget(name: "store-stress", dependencies: ["PromotionStore", "PromotionCore", "DirectusSchema"]),
        .testTarget(
            name: "DirectusEmulatorTests",
            dependencies: [
                "DirectusEmulator", "DirectusSchema", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DirectusClientTests",
            dependencies: [
                "DirectusClient", "DirectusConfig", "DirectusEmulator", "DirectusSchema", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PromotionDaemonTests",
            dependencies: [
                "PromotionDaemon", "PromotionStore", "PromotionCore", "DirectusClient", "DirectusEmulator",
                "DirectusSchema", "DirectusConfig", "DirectusContent", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "DirectusSchema", "DirectusConfig", "DirectusContent", "directus-promoter", "directus-promoter-bench",
                "TestSupport",
                "DirectusEmulator",
                "PromotionStore", "PromotionDaemon",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
