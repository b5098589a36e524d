/// Which hooks the sensor attached, and how.
public struct AttachReport: Sendable, Hashable, CustomStringConvertible {
    /// One attached hook.
    public struct Entry: Sendable, Hashable {
        public let hook: CaptureHook
        public let mechanism: HookMechanism
        /// Why an earlier choice was not used (auto mode fell back), or `nil`.
        public let fallbackReason: String?

        public init(hook: CaptureHook, mechanism: HookMechanism, fallbackReason: String? = nil) {
            self.hook = hook
            self.mechanism = mechanism
            self.fallbackReason = fallbackReason
        }
    }

    /// The attached hooks, in attach order.
    public let entries: [Entry]

    /// Hooks that could not be attached at all (auto mode carries on without them).
    public let failures: [CaptureHook: CaptureError]

    public init(entries: [Entry], failures: [CaptureHook: CaptureError] = [:]) {
        self.entries = entries
        self.failures = failures
    }

    /// The mechanism `hook` was attached with, or `nil` when it is not attached.
    public func mechanism(of hook: CaptureHook) -> HookMechanism? {
        entries.first { $0.hook == hook }?.mechanism
    }

    /// `connect=tracepoint bind=tracepoint exec=tracepoint exit=tracepoint`.
    public var description: String {
        entries.map { "\($0.hook)=\($0.mechanism)" }.joined(separator: " ")
    }
}
