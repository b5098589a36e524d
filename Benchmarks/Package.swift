// swift-tools-version: 6.3
//
// rarenet's benchmarks: a package of its own, so that `swift build` of the
// sensor never builds package-benchmark. Run from this directory (root: the
// benchmarks load BPF programs); see ../BENCHMARKS.md.
import PackageDescription

let package = Package(
    name: "rarenet-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // RuntimeInterposer (a default trait) needs swift-runtime-interposer, which the
        // local package mirror does not carry; MallocInterposer gives the malloc metrics.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [formatTarget] + ringDrainTargets + liveOverheadTargets + scorerTargets + pipelineTargets + detectionTargets,
    swiftLanguageModes: [.v6]
)

/// The identity SwiftPM gives the rarenet package at "..": the name of its directory.
var rarenetPackage: String {
    String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "rarenet")
}

// MARK: - The plain-text tables the comparisons print

var formatTarget: Target { .target(name: "BenchmarkFormat") }

// MARK: - Ring drain: rarenet's ring-buffer consumer against libbpf's (BENCHMARKS.md, "Ring drain")

var ringDrainTargets: [Target] {
    [
        // Loads bpf/ringbuf_producer.bpf.c and fills its ring through BPF_PROG_TEST_RUN.
        .target(name: "CRingProducer", linkerSettings: [.linkedLibrary("bpf")]),
        // The baseline: libbpf's ring_buffer__consume with a C decoding callback.
        .target(name: "CLibbpfRingBaseline", linkerSettings: [.linkedLibrary("bpf")]),
        // Both consumers, the fill-then-drain rounds and the table.
        .target(
            name: "RingDrainKit",
            dependencies: [
                "CRingProducer", "CLibbpfRingBaseline", "BenchmarkFormat",
                .product(name: "RarenetCapture", package: rarenetPackage),
                .product(name: "RarenetEvents", package: rarenetPackage),
            ]
        ),
        // Side by side in one process; exits 1 when the ratio falls below a floor (CI).
        .executableTarget(
            name: "RingDrainCompare",
            dependencies: ["RingDrainKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The same drains under package-benchmark (wall clock, CPU, mallocs per drain).
        .executableTarget(
            name: "RingDrain",
            dependencies: ["RingDrainKit", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/RingDrain",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
}

// MARK: - Live overhead: a loopback connect() loop without and with `rarenet run` (BENCHMARKS.md, "Live overhead")

var liveOverheadTargets: [Target] {
    [
        .executableTarget(
            name: "LiveOverhead",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "RarenetTestSupport", package: rarenetPackage),
            ]
        ),
    ]
}

// MARK: - Scorer: throughput against an exact Dictionary scorer, memory at 10^3 vs 10^6 keys (BENCHMARKS.md, "Scorer")

var scorerTargets: [Target] {
    [
        // The streams (busy and quiet, with two days of history) and the exact scorer.
        .target(
            name: "ScorerKit",
            dependencies: [
                .product(name: "RarenetScoring", package: rarenetPackage),
                .product(name: "RarenetEvents", package: rarenetPackage),
                .product(name: "RarenetTestSupport", package: rarenetPackage),
            ]
        ),
        // Sketch and exact side by side in one process; exits 1 when the ratio falls below a floor (CI).
        .executableTarget(
            name: "ScorerCompare",
            dependencies: [
                "ScorerKit", "BenchmarkFormat",
                .product(name: "RarenetScoring", package: rarenetPackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The same under package-benchmark, with the replay path and memory at 10^3 vs 10^6 keys.
        .executableTarget(
            name: "ScorerBenchmarks",
            dependencies: [
                "ScorerKit",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RarenetScoring", package: rarenetPackage),
                .product(name: "RarenetEvents", package: rarenetPackage),
                .product(name: "RarenetTestSupport", package: rarenetPackage),
            ],
            path: "Benchmarks/ScorerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
}

// MARK: - Pipeline: the sensor's decode → attribute → score path per event, stage by stage (BENCHMARKS.md, "Pipeline")

var pipelineTargets: [Target] {
    [
        // Drains real BPF rings through RarenetSensor's RecordScorer, three stages side by side.
        .executableTarget(
            name: "PipelineStages",
            dependencies: [
                "RingDrainKit", "BenchmarkFormat",
                .product(name: "RarenetCapture", package: rarenetPackage),
                .product(name: "RarenetScoring", package: rarenetPackage),
                .product(name: "RarenetSensor", package: rarenetPackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
}

// MARK: - Detection quality: 14-day streams of realistic servers with planted attacks, through replay (BENCHMARKS.md, "Detection quality")

var detectionTargets: [Target] {
    [
        // The deterministic generator: server profiles, their workloads and the planted attacks, as event lines.
        .target(
            name: "ScenarioKit",
            dependencies: [
                .product(name: "RarenetEvents", package: rarenetPackage),
                .product(name: "RarenetTestSupport", package: rarenetPackage),
            ]
        ),
        // Scores each profile's stream through EventReplay; exits 1 when an attack is missed or false alerts exceed a ceiling (CI).
        .executableTarget(
            name: "DetectionQuality",
            dependencies: [
                "ScenarioKit", "BenchmarkFormat",
                .product(name: "RarenetBaseline", package: rarenetPackage),
                .product(name: "RarenetScoring", package: rarenetPackage),
                .product(name: "RarenetEvents", package: rarenetPackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
}
