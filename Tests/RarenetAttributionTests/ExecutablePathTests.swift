import Testing
@testable import RarenetAttribution

@Suite("Executable path")
struct ExecutablePathTests {
    @Test("a linked file is shown as is")
    func linkedFile() {
        let executable = ExecutablePath(kernelName: "/usr/bin/curl")
        #expect(executable.origin == .file)
        #expect(executable.path == "/usr/bin/curl")
        #expect(executable.displayName == "/usr/bin/curl")
        #expect(!executable.isDeleted)
    }

    @Test("an unlinked file keeps the kernel's (deleted) form")
    func deletedFile() {
        let executable = ExecutablePath(kernelName: "/tmp/.x/implant (deleted)")
        #expect(executable.origin == .deleted)
        #expect(executable.path == "/tmp/.x/implant")
        #expect(executable.displayName == "/tmp/.x/implant (deleted)")
        #expect(ExecutablePath(path: "/tmp/.x/implant", isDeleted: true) == executable)
    }

    @Test("a memfd is recognised from /proc and from an exec record", arguments: [
        ExecutablePath(kernelName: "/memfd:payload (deleted)"),
        ExecutablePath(path: "/memfd:payload", isDeleted: true),
        ExecutablePath(path: "memfd:payload", isDeleted: true),
    ])
    func memfd(executable: ExecutablePath) {
        #expect(executable.origin == .memfd)
        #expect(executable.path == "/memfd:payload")
        #expect(executable.displayName == "/memfd:payload (deleted)")
    }

    @Test("a linked file merely named like a memfd is a file")
    func linkedMemfdLookalike() {
        #expect(ExecutablePath(kernelName: "/memfd:looks-like").origin == .file)
    }
}
