import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// The environments whose schema differs from what they should have, as `drift list` shows them.
public struct DriftListing: Sendable {
    public var drifts: [DriftRecord]

    public init(store: Store) throws { drifts = try store.drifts() }

    public var json: JSONValue {
        .array(
            drifts.map { drift in
                [
                    "environment": .string(drift.environment), "summary": .string(drift.summary),
                    "observed_hash": .string(drift.observedHash), "expected_hash": .string(drift.expectedHash),
                    "detected_at": .string(Timestamp.utc(drift.detectedAt)),
                ]
            })
    }

    public func text(now: Date) -> String {
        guard !drifts.isEmpty else { return "no drift: every environment has the schema it should have\n" }
        return Table(
            header: ["ENVIRONMENT", "SINCE", "WHAT CHANGED"],
            rows: drifts.map { [$0.environment, RelativeTime.describe($0.detectedAt, now: now), $0.summary] }
        ).render()
    }
}
