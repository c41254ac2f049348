import DirectusSchema
import Foundation

/// Whether a promotion may take its next step now, as a pure answer: the gate to planning (the revision applied
/// upstream, then soaked there) and the gate to applying (the target's promotion windows).
public enum PromotionGate: Sendable, Equatable {
    /// Go ahead.
    case open
    /// Not before the revision is applied upstream: nothing to note, the upstream promotion will get there.
    case upstream
    /// Not before `until` (nil: not known), for `reason`.
    case wait(until: Date?, reason: String)

    /// Whether a queued promotion of a revision to `target` may start planning.
    /// - Parameters:
    ///   - isRollback: a rollback's revision is the target's own; it waits for nothing upstream.
    ///   - upstreamAppliedAt: when the revision was applied on the environment before `target` (nil: not yet).
    public static func planning(
        target: String, pipeline: Pipeline, isRollback: Bool, upstreamAppliedAt: Date?, soak: Duration, now: Date
    ) -> PromotionGate {
        if isRollback { return .open }
        guard let upstream = pipeline.upstream(of: target) else { return .upstream }
        if upstream == pipeline.source { return .open }
        guard pipeline.gateIsOpen(for: target, appliedOnUpstream: upstreamAppliedAt != nil),
            let appliedAt = upstreamAppliedAt
        else { return .upstream }
        guard soak > .zero else { return .open }
        let ready = appliedAt.addingTimeInterval(soak.seconds)
        guard now >= ready else {
            return .wait(
                until: ready,
                reason: "soaking: the revision has been on \(upstream) since \(Timestamp.utc(appliedAt)); it starts "
                    + "here at \(Timestamp.utc(ready))")
        }
        return .open
    }

    /// Whether an approved promotion to a target with these windows may be applied at `now`.
    public static func applying(target: String, windows: [PromotionWindow], now: Date) -> PromotionGate {
        guard !PromotionWindow.isOpen(windows, at: now) else { return .open }
        let next = PromotionWindow.nextOpening(windows, after: now)
        return .wait(
            until: next,
            reason: "outside \(target)'s promotion windows"
                + (next.map { "; the next opens at \(Timestamp.utc($0))" } ?? ""))
    }
}
