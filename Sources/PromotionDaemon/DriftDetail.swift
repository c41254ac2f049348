import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// One environment's drift in full, as `drift show ENV` prints it and the web view shows it: the record and the plan
/// of what changed there (from the schema it should have to the one it has), without what its ignore rules own.
public struct DriftDetail: Sendable {
    public var drift: DriftRecord
    /// Nil when a snapshot it was computed from is no longer in history.
    public var plan: Plan?

    /// Nil when the environment has no drift.
    public init?(environment: String, store: Store, configuration: DaemonConfiguration) throws {
        guard let drift = try store.drift(environment: environment) else { return nil }
        self.drift = drift
        if let expected = try store.snapshot(hash: drift.expectedHash),
            let observed = try store.snapshot(hash: drift.observedHash)
        {
            let rules = try configuration.engineConfiguration().ignoreRules(for: environment)
            plan =
                DriftReport(
                    expected: expected, observed: observed,
                    ignoringUpgradeChanges: expected.directus != observed.directus, ignoring: rules
                ).plan
        }
    }

    public var json: JSONValue {
        [
            "environment": .string(drift.environment), "summary": .string(drift.summary),
            "detected_at": .string(Timestamp.utc(drift.detectedAt)),
            "expected_hash": .string(drift.expectedHash), "observed_hash": .string(drift.observedHash),
            "plan": plan.map(PlanRenderer.json) ?? .null,
        ]
    }

    public func text(now: Date, color: Bool) -> String {
        let style = TextStyle(color: color)
        var out =
            style.bold("Drift on \(drift.environment)") + " since \(Timestamp.utc(drift.detectedAt)) "
            + "(\(RelativeTime.describe(drift.detectedAt, now: now)))\n  \(drift.summary)\n\n"
        out += "Changes made on \(drift.environment) outside the pipeline:\n"
        out += plan.map { PlanRenderer.text($0, color: color) } ?? "  (the snapshots are no longer in history)\n"
        out +=
            "\nAdopt it: directus-promoter drift accept \(drift.environment); or let the next promotion put it back\n"
        return out
    }
}
