// swift-tools-version: 6.0
//
// libFuzzer targets for rarenet's untrusted-input decoders (issue 6, "Bad input").
// Build and run them with `Fuzz/run.sh`; regenerate the seed corpus with
// `swift run --package-path Fuzz SeedCorpus Fuzz/Corpus`.
//
// Each Fuzz* target defines `LLVMFuzzerTestOneInput` and no `main`: it links
// only when built with `--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address` (libFuzzer
// supplies `main` and the coverage feedback of the root package's code).
import PackageDescription

/// The fuzz targets and the rarenet library each one exercises.
let fuzzTargets: [(name: String, library: String)] = [
    ("FuzzEventLine", "RarenetEvents"),   // one JSON line → EventLineParser (and back through EventLineEncoder)
    ("FuzzEventFile", "RarenetEvents"),   // a whole event file → EventLineReader, checked line by line against the parser
    ("FuzzRingRecord", "RarenetCapture"), // one ring buffer record → RecordDecoder
    ("FuzzSnapshot", "RarenetScoring"),   // snapshot bytes → Baseline(decoding:expecting:), as given and with the checksum repaired
    ("FuzzConfig", "RarenetSensor"),      // a configuration file's text → SensorConfiguration.parse (RarenetConfig, through the sensor's product)
]

let package = Package(
    name: "rarenet-fuzz",
    dependencies: [
        .package(name: "rarenet", path: ".."),
    ],
    targets: [
        // What every fuzz target shares: a check whose message survives optimization.
        .target(name: "FuzzSupport"),
        // Writes the committed seed corpus (Fuzz/Corpus) from the real encoders and C structs.
        .executableTarget(
            name: "SeedCorpus",
            dependencies: [
                .product(name: "RarenetEvents", package: "rarenet"),
                .product(name: "RarenetCapture", package: "rarenet"),
                .product(name: "RarenetScoring", package: "rarenet"),
            ]
        ),
    ] + fuzzTargets.map { target in
        .executableTarget(name: target.name, dependencies: ["FuzzSupport", .product(name: target.library, package: "rarenet")])
    },
    swiftLanguageModes: [.v6]
)
