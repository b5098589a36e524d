import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The gate for tests that need root (BPF, network namespaces, tracefs).
///
/// Without root such a test is skipped with a message, unless
/// `RARENET_REQUIRE_PRIVILEGED=1` is set (CI sets it): then it runs and fails,
/// so that a privileged test can never pass CI by skipping.
///
/// Use it as a trait and a first line:
///
///     @Test(.enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
///     func attaches() throws {
///         try Privileges.requireRoot()
///         ...
///     }
public enum Privileges {
    /// The environment variable that turns a privileged test's skip into a failure.
    public static let requireVariable = "RARENET_REQUIRE_PRIVILEGED"

    /// True when the process runs as root.
    public static var isRoot: Bool { geteuid() == 0 }

    /// True when privileged tests must run even if they cannot pass.
    public static var areRequired: Bool {
        guard let value = getenv(requireVariable) else { return false }
        return String(cString: value) == "1"
    }

    /// Whether a privileged test runs: as root, or when required (and then fails).
    public static var testsShouldRun: Bool { isRoot || areRequired }

    /// Why a privileged test was skipped.
    public static let skipMessage: Comment = "needs root (set \(requireVariable)=1 to fail instead of skipping)"

    /// Throws when not root; call first in every privileged test.
    public static func requireRoot() throws {
        guard isRoot else { throw NotPrivileged() }
    }

    /// The failure of a privileged test that had to run without root.
    public struct NotPrivileged: Error, CustomStringConvertible {
        public var description: String {
            "this test needs root and \(Privileges.requireVariable)=1 forbids skipping it"
        }
    }
}
