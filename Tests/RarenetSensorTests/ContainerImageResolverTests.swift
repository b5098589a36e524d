import Foundation
import RarenetAttribution
import RarenetIdentity
import RarenetSensor
import RarenetTestSupport
import Testing

/// The scoring thread is told an image is pending and never waits for the
/// runtime's state; the answer arrives from the background and is cached.
@Suite struct ContainerImageResolverTests {
    @Test func anImageIsPendingFirstThenResolvedAndCached() throws {
        let id = String(repeating: "ab", count: 32)
        let directory = try TemporaryDirectory()
        let state = directory.path + "/var/lib/docker/containers/\(id)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #"{"Config":{"Image":"redis:7"}}"#.write(toFile: state + "/config.v2.json", atomically: false, encoding: .utf8)
        let resolver = ContainerImageResolver(source: ContainerImageSource(root: directory.path))
        let container = ContainerIdentity(id: id, runtime: .docker)

        #expect(resolver.image(of: container) == .pending)
        let answer = Polling.value(within: .seconds(5)) { () -> String?? in
            if case .resolved(let image) = resolver.image(of: container) { return .some(image) }
            return nil
        }
        #expect(answer == .some("redis:7"))
        try FileManager.default.removeItem(atPath: state)
        #expect(resolver.image(of: container) == .resolved("redis:7"), "cached: the state is read once")
        let unknown = ContainerIdentity(id: String(repeating: "cd", count: 32), runtime: .docker)
        _ = resolver.image(of: unknown)
        #expect(Polling.until(within: .seconds(5)) { resolver.image(of: unknown) == .resolved(nil) })
    }
}
