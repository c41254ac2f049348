import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// The environments whose schema differs from what they should have, as `drift list` shows them.
public struct DriftListing: Sendable {
    public var drifts: [DriftRecord]

    /// The configurations that differ from what they should have (pipelines that promote configuration).
    public var configurationDrifts: [DriftRecord] = []
    /// The reference data that differs from what it should be (pipelines that promote content).
    public var contentDrifts: [DriftRecord] = []

    public init(store: Store) throws {
        drifts = try store.drifts()
        configurationDrifts = try store.configDrifts()
        contentDrifts = try store.contentDrifts()
    }

    /// Every drift with what drifted (`schema`, `configuration`, `content`).
    var all: [(DriftRecord, String)] {
        drifts.map { ($0, "schema") } + configurationDrifts.map { ($0, "configuration") }
            + contentDrifts.map { ($0, "content") }
    }

    public var json: JSONValue {
        .array(
            all.map { drift, what -> JSONValue in
                [
                    "environment": .string(drift.environment), "of": .string(what), "summary": .string(drift.summary),
                    "observed_hash": .string(drift.observedHash), "expected_hash": .string(drift.expectedHash),
                    "detected_at": .string(Timestamp.utc(drift.detectedAt)),
                ]
            })
    }

    public func text(now: Date) -> String {
        guard !all.isEmpty else {
            return "no drift: every environment has the schema it should have\n"
        }
        return Table(
            header: ["ENVIRONMENT", "OF", "SINCE", "WHAT CHANGED"],
            rows: all.map { drift, what in
                [drift.environment, what, RelativeTime.describe(drift.detectedAt, now: now), drift.summary]
            }
        ).render()
    }
}
