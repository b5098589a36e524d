import Foundation
import RarenetAttribution
import RarenetIdentity
import RarenetTestSupport
import Testing

/// Images read from the runtimes' state files, as the runtimes write them.
@Suite struct ContainerImageSourceTests {
    static let id = "5f3e1a9c0b2d4e6f8a1c3e5f7a9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b"

    private func fixture(_ files: [String: String]) throws -> (TemporaryDirectory, ContainerImageSource) {
        let directory = try TemporaryDirectory()
        for (path, text) in files {
            let file = directory.path + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: false, encoding: .utf8)
        }
        return (directory, ContainerImageSource(root: directory.path))
    }

    @Test func eachRuntimesStateNamesTheImage() throws {
        let (directory, source) = try fixture([
            "/var/lib/docker/containers/\(Self.id)/config.v2.json":
                #"{"StreamConfig":{},"State":{"Running":true},"ID":"x","Image":"sha256:9c7a","Config":{"Hostname":"a1","Image":"docker.io/library/nginx:1.25","Env":[]}}"#,
            "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.id)/config.json":
                #"{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.image-name" : "registry.example/app:1.4.2"}}"#,
            "/run/containers/storage/overlay-containers/\(Self.id)/userdata/config.json":
                #"{"annotations":{"io.kubernetes.cri-o.ImageName":"quay.io\/team\/billing:2.0"}}"#,
        ])
        _ = directory
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .docker)) == "docker.io/library/nginx:1.25")
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .containerd)) == "registry.example/app:1.4.2")
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .crio)) == "quay.io/team/billing:2.0")
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .podman)) == nil)
    }

    @Test func missingDamagedOrHostileStateGivesNoImage() throws {
        let other = String(Self.id.reversed())
        let (directory, source) = try fixture([
            "/var/lib/docker/containers/\(Self.id)/config.v2.json": #"{"Config":{"Image":"#,
            "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.id)/config.json": #"{"annotations":{"io.kubernetes.cri.image-name":7}}"#,
        ])
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .docker)) == nil)
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .containerd)) == nil)
        #expect(source.image(of: ContainerIdentity(id: other, runtime: .crio)) == nil)
        #expect(source.image(of: ContainerIdentity(id: "../../etc", runtime: .docker)) == nil, "only real container ids name a file")
        // A FIFO planted where the state file would be must not block the reader.
        let fifoDirectory = directory.path + "/run/containers/storage/overlay-containers/\(Self.id)/userdata"
        try FileManager.default.createDirectory(atPath: fifoDirectory, withIntermediateDirectories: true)
        #expect(mkfifo(fifoDirectory + "/config.json", 0o600) == 0)
        #expect(source.image(of: ContainerIdentity(id: Self.id, runtime: .crio)) == nil)
    }
}
