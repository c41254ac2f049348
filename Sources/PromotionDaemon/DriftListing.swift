import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// The environments whose schema differs from what they should have, as `drift list` shows them.
public struct DriftListing: Sendable {
    public var drifts: [DriftRecord]

    /// The configurations that differ from what they should have (pipelines that promote configuration).
    public var configurationDrifts: [DriftRecord] = []

    public init(store: Store) throws {
        drifts = try store.drifts()
        configurationDrifts = try store.configDrifts()
    }

    public var json: JSONValue {
        let all: [(DriftRecord, String)] =
            drifts.map { ($0, "schema") } + configurationDrifts.map { ($0, "configuration") }
        return .array(
            all.map { drift, what -> JSONValue in
                [
                    "environment": .string(drift.environment), "of": .string(what), "summary": .string(drift.summary),
                    "observed_hash": .string(drift.observedHash), "expected_hash": .string(drift.expectedHash),
                    "detected_at": .string(Timestamp.utc(drift.detectedAt)),
                ]
            })
    }

    public func text(now: Date) -> String {
        guard !drifts.isEmpty || !configurationDrifts.isEmpty else {
            return "no drift: every environment has the schema it should have\n"
        }
        let all = drifts.map { ($0, "schema") } + configurationDrifts.map { ($0, "configuration") }
        return Table(
            header: ["ENVIRONMENT", "OF", "SINCE", "WHAT CHANGED"],
            rows: all.map { drift, what in
                [drift.environment, what, RelativeTime.describe(drift.detectedAt, now: now), drift.summary]
            }
        ).render()
    }
}
