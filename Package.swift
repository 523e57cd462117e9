// swift-tools-version:6.2
import PackageDescription

/// Our targets only (SwiftPM applies a package's warning settings to its own targets, never to its
/// dependencies'): a warning in Herald's code fails the build, so `make test` fails on one.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "herald",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .executable(name: "slack-sandbox", targets: ["slack-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        /// Pure domain: no Vapor, no database, no sink types.
        .target(
            name: "HeraldCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The one outbound HTTP seam (a transport tests replace), and the policy for URLs a tenant chose.
        .target(
            name: "Outbound",
            swiftSettings: swiftSettings
        ),
        /// One `Sink` protocol and its conformers, each rendering HeraldCore's neutral views into its own payload.
        .target(
            name: "HeraldSinks",
            dependencies: [
                "HeraldCore",
                "SlackAPI",
                "Outbound",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The Slack Web API client, Block Kit, Slack errors and request signatures, over an injectable transport.
        .target(
            name: "SlackAPI",
            dependencies: [
                "Outbound",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The built-in Slack workspace emulation behind `--sandbox` and the tests.
        .target(
            name: "SlackSandbox",
            dependencies: [
                "SlackAPI",
                "Outbound",
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The Vapor application: configuration, routes, models, migrations, workers.
        .target(
            name: "HeraldServer",
            dependencies: [
                "HeraldCore",
                "HeraldSinks",
                "SlackAPI",
                "Outbound",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [
                /// The OpenAPI 3.1 document served at `/openapi.json`, edited directly.
                .copy("Resources/openapi.json"),
            ],
            swiftSettings: swiftSettings
        ),
        /// `serve --sandbox`: the SlackSandbox workspace mounted in Herald's app (linked by the executable and the tests only).
        .target(
            name: "HeraldSandbox",
            dependencies: [
                "HeraldServer",
                "SlackSandbox",
                "SlackAPI",
                "Outbound",
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The thin executable.
        .executableTarget(
            name: "herald",
            dependencies: [
                "HeraldServer",
                "HeraldSandbox",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The Slack sandbox alone (`slack-sandbox serve --port P`), for end-to-end tests whose Slack
        /// must survive the Herald process they kill.
        .executableTarget(
            name: "slack-sandbox",
            dependencies: [
                "SlackSandbox",
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        /// What several test suites share: a seeded generator.
        .target(
            name: "HeraldTestSupport",
            path: "Tests/HeraldTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldCoreTests",
            dependencies: ["HeraldCore", "HeraldTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutboundTests",
            dependencies: ["Outbound", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldSinksTests",
            dependencies: ["HeraldSinks", "HeraldCore", "SlackAPI", "Outbound", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SlackAPITests",
            dependencies: ["SlackAPI", "Outbound", "HeraldTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldServerTests",
            dependencies: [
                "HeraldServer",
                "HeraldCore",
                "HeraldSinks",
                "HeraldSandbox",
                "SlackAPI",
                "SlackSandbox",
                "Outbound",
                "HeraldTestSupport",
                .product(name: "VaporTesting", package: "vapor"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
