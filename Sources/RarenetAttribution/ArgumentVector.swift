/// Decoding of an argument vector as the kernel lays it out: each argument
/// followed by a NUL byte (`/proc/<pid>/cmdline`, the exec record's args).
enum ArgumentVector {
    /// The arguments in `bytes`. An empty argument between two NULs is kept
    /// (it is a real argv entry); the NUL that ends the last argument is not an
    /// argument; invalid UTF-8 is replaced with U+FFFD.
    static func decode(_ bytes: some Collection<UInt8>) -> [String] {
        var arguments = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if arguments.last?.isEmpty == true {
            arguments.removeLast()
        }
        return arguments.map { String(decoding: $0, as: UTF8.self) }
    }
}
