/// The version of this build, exported in `rarenet_build_info` and `rarenet --version`.
enum RarenetVersion {
    static let current = "0.1.0"
}
