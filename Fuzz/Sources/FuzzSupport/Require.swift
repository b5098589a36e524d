/// Stops the fuzz target with `message` when `condition` is false.
///
/// Unlike `precondition`, whose message an optimized build drops, the
/// message reaches libFuzzer's log next to the reproducer.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
