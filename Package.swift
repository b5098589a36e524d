// swift-tools-version: 6.0
//
// rarenet: a Linux host sensor that flags processes whose network use is rare.
// The module list follows the data flow of DESIGN.md:
//   kernel (bpf/) -> RarenetCapture -> RarenetAttribution -> RarenetScoring -> RarenetAlerts / RarenetMetrics
// with RarenetSensor wiring them into the long-running service and `rarenet` the command.
import PackageDescription

let package = Package(
    name: "rarenet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rarenet", targets: ["rarenet"]),
        .library(name: "RarenetScoring", targets: ["RarenetScoring"]),
        .library(name: "RarenetEvents", targets: ["RarenetEvents"]),
        .library(name: "RarenetCapture", targets: ["RarenetCapture"]),
        .library(name: "RarenetSensor", targets: ["RarenetSensor"]),
        .library(name: "RarenetConfig", targets: ["RarenetConfig"]),
        // Replay (the engine of `rarenet replay`), for the detection-quality benchmark.
        .library(name: "RarenetBaseline", targets: ["RarenetBaseline"]),
        // Test hosts (veth namespaces), child processes and the sensor harness, for the benchmarks.
        .library(name: "RarenetTestSupport", targets: ["RarenetTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Kernel side: libbpf, the event ABI header and the embedded BPF object.
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]
        ),
        .target(
            name: "CRarenetBPF",
            cSettings: [.headerSearchPath("../../.build/bpf")]
        ),

        // prctl(2) and capset(2), which Swift cannot call directly.
        .target(name: "CRarenetSystem"),

        // The event model shared by capture, scoring, record and replay.
        .target(name: "RarenetEvents"),

        // libbpf loading, attach-mode selection, ring-buffer batch consumer, record decoder.
        .target(
            name: "RarenetCapture",
            dependencies: [
                "CLibBPF", "CRarenetBPF", "RarenetEvents",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Process table: pid + start time -> executable, args, cwd, parent, user.
        .target(name: "RarenetAttribution", dependencies: ["RarenetEvents", "RarenetIdentity", "CRarenetPrefetch"]),

        // Process keys: origin (host, container image, other namespace), rewritten
        // path and interpreter script, derived in one place for live and replay (pure).
        .target(name: "RarenetIdentity"),

        // The rarity scorer: pure Swift, no libbpf, no I/O.
        // A cache-prefetch hint for the per-event lookups of the scorer and the process table (header only).
        .target(name: "CRarenetPrefetch"),
        .target(name: "RarenetScoring", dependencies: ["RarenetEvents", "RarenetIdentity", "CRarenetPrefetch"]),

        // Baseline snapshots on disk (private, atomic) and the offline engines that
        // build and use them from recorded events: replay, learn, merge.
        .target(name: "RarenetBaseline", dependencies: ["RarenetScoring", "RarenetEvents", "RarenetAlerts"]),

        // ECS-shaped alert lines and the sinks that write them.
        .target(
            name: "RarenetAlerts",
            dependencies: ["RarenetEvents", "RarenetScoring", "RarenetAttribution"]
        ),

        // Prometheus metrics and the HTTP endpoint that serves them.
        .target(
            name: "RarenetMetrics",
            dependencies: [
                "RarenetEvents",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The configuration file and its validation.
        .target(
            name: "RarenetConfig",
            dependencies: ["RarenetEvents", "RarenetMetrics", "RarenetScoring", "RarenetIdentity", .product(name: "Yams", package: "Yams")]
        ),

        // The long-running sensor: capture -> attribution -> scoring -> outputs.
        .target(
            name: "RarenetSensor",
            dependencies: [
                "RarenetCapture", "RarenetAttribution", "RarenetScoring", "RarenetBaseline",
                "RarenetAlerts", "RarenetMetrics", "RarenetConfig", "CRarenetSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(
            name: "rarenet",
            dependencies: [
                "RarenetSensor", "RarenetCapture", "RarenetScoring", "RarenetBaseline",
                "RarenetAlerts", "RarenetConfig", "RarenetEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the test targets: the root/BPF test gate.
        .target(name: "RarenetTestSupport", path: "Tests/RarenetTestSupport"),

        .testTarget(name: "RarenetEventsTests", dependencies: ["RarenetTestSupport", "RarenetEvents"]),
        .testTarget(
            name: "RarenetCaptureTests",
            dependencies: [
                "RarenetTestSupport", "RarenetCapture", "RarenetEvents", "CLibBPF", "CRarenetBPF",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "RarenetAttributionTests", dependencies: ["RarenetTestSupport", "RarenetAttribution"]),
        .testTarget(name: "RarenetIdentityTests", dependencies: ["RarenetTestSupport", "RarenetIdentity"]),
        .testTarget(name: "RarenetScoringTests", dependencies: ["RarenetTestSupport", "RarenetScoring"]),
        .testTarget(name: "RarenetBaselineTests", dependencies: ["RarenetTestSupport", "RarenetBaseline", "RarenetScoring", "RarenetEvents"]),
        .testTarget(
            name: "RarenetOutputTests",
            dependencies: [
                "RarenetTestSupport", "RarenetAlerts", "RarenetEvents", "RarenetMetrics", "RarenetConfig",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "RarenetSensorTests", dependencies: ["RarenetTestSupport", "RarenetSensor"]),
    ],
    swiftLanguageModes: [.v6]
)
