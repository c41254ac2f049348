/// One deadline over a whole piece of async work (an HTTP exchange with its body, say): AsyncHTTPClient's own
/// deadline ends when the headers arrive, so a peer that stalls in the body would otherwise hold its caller for
/// ever.
public enum Deadline {
    /// How a piece of work ended.
    public enum Outcome<Value: Sendable>: Sendable {
        case finished(Value)
        /// The deadline passed first; the work was cancelled (and has ended: it must honour cancellation).
        case timedOut
        /// The caller was cancelled first.
        case cancelled
    }

    /// Runs `operation`, cancelling it when `timeout` passes first.
    public static func run<Value: Sendable>(
        within timeout: Duration, _ operation: @escaping @Sendable () async -> Value
    ) async -> Outcome<Value> {
        await withTaskGroup(of: Outcome<Value>.self) { group in
            group.addTask { .finished(await operation()) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            var first = await group.next() ?? .cancelled
            // The timer ends first when the deadline passed or the caller was cancelled; work that finished at the
            // same moment still counts.
            if case .cancelled = first, let next = await group.next(), case .finished = next { first = next }
            group.cancelAll()
            return first
        }
    }
}
