// swift-tools-version: 6.1
//
// Benchmarks of the rarity scorer, in their own package so that the main build
// never pulls the benchmark tool. Run from this directory:
//   swift package benchmark
import PackageDescription

let package = Package(
    name: "RarenetBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "rarenet", path: ".."),
        // Only the malloc interposer (malloc metrics): the default
        // "RuntimeInterposer" trait would pull swift-runtime-interposer.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ScorerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RarenetScoring", package: "rarenet"),
                .product(name: "RarenetEvents", package: "rarenet"),
            ],
            path: "Benchmarks/ScorerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
