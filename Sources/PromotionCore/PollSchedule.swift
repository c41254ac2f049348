import DirectusSchema
import Foundation

/// When the daemon next wakes: after the poll interval, lengthened by a random share up to `jitter` (so several
/// daemons do not poll in step), or sooner when the last tick asked for it (a soak time ending, a window opening, a
/// backoff over).
public struct PollSchedule: Sendable, Equatable {
    public var interval: Duration
    public var jitter: Double

    public init(interval: Duration, jitter: Double) {
        self.interval = interval
        self.jitter = jitter
    }

    /// The wait before the next tick.
    /// - Parameters:
    ///   - random: a number in 0...1 (the share of the jitter used).
    ///   - nextWake: when the last tick asked to be woken, if it did.
    public func delay(random: Double, nextWake: Date?, now: Date) -> Duration {
        let share = Swift.max(0, Swift.min(1, random.isFinite ? random : 0)) * Swift.max(0, jitter)
        // To the millisecond: a schedule is not more precise than that.
        let poll = Duration.milliseconds(Int64(Swift.min(9e15, (interval.seconds * (1 + share) * 1000).rounded())))
        guard let nextWake else { return poll }
        let sooner = Duration.checkedSeconds(Swift.max(0, nextWake.timeIntervalSince(now)), atMost: poll.seconds)
        return sooner.map { Swift.min($0, poll) } ?? poll
    }
}
