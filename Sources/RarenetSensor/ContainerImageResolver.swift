import Dispatch
import RarenetAttribution
import RarenetIdentity
import Synchronization

/// Resolves container images off the scoring thread, cached and bounded.
///
/// The scoring thread asks ``image(of:)`` for a container's image: a cached
/// answer costs one lookup under a lock; an unknown container is queued for a
/// background queue that reads the runtime's state (``ContainerImageSource``),
/// and the caller is told the answer is pending (its key is then
/// `container=<runtime>` until the answer arrives; see ``AttributedFacts``).
/// At most ``pendingLimit`` containers wait at once (beyond, a container has
/// no image); the cache starts over when it holds ``cacheCapacity`` answers.
public final class ContainerImageResolver: Sendable {
    /// What is known of a container's image.
    public enum Lookup: Equatable, Sendable {
        /// The runtime's state was read: the image, or `nil` when it names none.
        case resolved(String?)
        /// Being read.
        case pending
    }

    private struct State {
        var answers: [String: String?] = [:]
        var pending: Set<String> = []
    }

    static let cacheCapacity = 4_096
    static let pendingLimit = 256

    private let source: ContainerImageSource
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "rarenet.container-images")

    /// A resolver reading `source` (the host's runtime state by default).
    public init(source: ContainerImageSource = ContainerImageSource()) {
        self.source = source
    }

    /// The image of `container` if known; otherwise starts reading it.
    public func image(of container: ContainerIdentity) -> Lookup {
        let id = container.id
        let shouldRead = state.withLock { state -> Lookup? in
            if let answer = state.answers[id] { return .resolved(answer) }
            if state.pending.contains(id) { return .pending }
            guard state.pending.count < Self.pendingLimit else { return .resolved(nil) }
            state.pending.insert(id)
            return nil
        }
        if let known = shouldRead { return known }
        queue.async { self.record(self.source.image(of: container), for: id) }
        return .pending
    }

    private func record(_ image: String?, for id: String) {
        state.withLock { state in
            if state.answers.count >= Self.cacheCapacity { state.answers.removeAll(keepingCapacity: true) }
            state.answers[id] = .some(image)
            state.pending.remove(id)
        }
    }
}
