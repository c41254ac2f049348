import Foundation

/// When the daemon is unhealthy, judged per environment from its polls (pure: the caller reads the store).
///
/// Two different failures, with two thresholds:
/// - **failing**: the newest poll of the environment failed and no poll has succeeded for `failingAfter` (three
///   poll intervals, at least a second). A single failed poll between successes is not a problem.
/// - **stalled**: the newest poll succeeded but is older than `stalledAfter` (three poll intervals, at least two
///   minutes): the daemon is not polling at all. The more generous threshold keeps a slow tick (another
///   environment timing out, a large snapshot) from making a healthy environment look unhealthy.
public struct HealthRule: Sendable, Equatable {
    public var failingAfter: TimeInterval
    public var stalledAfter: TimeInterval

    public init(pollInterval: Duration) {
        failingAfter = max(1, 3 * pollInterval.seconds)
        stalledAfter = max(failingAfter, 120)
    }

    /// The problem with one environment, or nil when it is healthy.
    /// - Parameters:
    ///   - latestAt: when the environment was last polled, successfully or not (nil: never).
    ///   - latestError: the error of that poll (nil: it succeeded).
    ///   - lastSuccessAt: when a poll of the environment last succeeded (nil: never).
    public func problem(
        environment: String, latestAt: Date?, latestError: String?, lastSuccessAt: Date?, now: Date
    ) -> String? {
        guard let latestAt else { return "\(environment): never polled" }
        if let latestError {
            guard let lastSuccessAt else { return "\(environment): never polled successfully (\(latestError))" }
            let age = now.timeIntervalSince(lastSuccessAt)
            return age > failingAfter
                ? "\(environment): last successful poll \(Int(age)) s ago (\(latestError))" : nil
        }
        let age = now.timeIntervalSince(latestAt)
        return age > stalledAfter ? "\(environment): not polled for \(Int(age)) s (the daemon is not polling)" : nil
    }
}
