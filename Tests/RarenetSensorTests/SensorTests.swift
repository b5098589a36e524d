import RarenetTestSupport
import Testing

/// `rarenet run` as operators run it: the built executable, as a child
/// process, watching the whole machine through its probes.
///
/// The nested suites run one at a time: they share the test network
/// namespace's name and addresses, and they measure alert latency. Other
/// processes run on the machine while they do, so every expectation is about
/// processes, paths and files the tests themselves created.
@Suite("rarenet run", .serialized)
struct SensorTests {
    /// The gate of the tests that start the sensor: they need root and the built executable.
    static var privilegedTestsShouldRun: Bool { Privileges.testsShouldRun }

    /// Call first in a test that starts the sensor.
    static func requireRootAndExecutable() throws {
        try Privileges.requireRoot()
        try requireExecutable()
    }

    /// Call first in a test that runs the executable.
    static func requireExecutable() throws {
        guard SensorProcess.isBuilt else {
            throw SensorProcess.Failure(description: "\(SensorProcess.executablePath) is missing: run `swift build --build-tests` first")
        }
    }
}
