import DirectusClient
import DirectusSchema
import PromotionCore

/// What a target would get now: its snapshot, Directus's diff of a source snapshot against it, and that diff shaped
/// as it will be applied (`DiffShaper`). The daemon plans with it and `plan ENV` prints it, so both show the same.
public enum TargetPlanner {
    /// A target observed and planned.
    public struct Observation: Sendable {
        /// The target's schema when the diff was taken.
        public var target: Snapshot
        /// Directus's diff as it answered (nil: in sync).
        public var pending: PendingDiff?
        /// The diff as it will be applied (nil: in sync); may be empty when everything was left out.
        public var shaped: DiffShaper.Shaped?

        /// Whether nothing would be applied.
        public var isInSync: Bool { shaped?.isEmpty ?? true }

        /// The pending diff with only what will be applied, ready for `/schema/apply` (same hash).
        public var applicable: PendingDiff? {
            guard let pending, let shaped, !shaped.isEmpty else { return nil }
            return PendingDiff(hash: pending.hash, diff: shaped.diff, raw: shaped.raw)
        }
    }

    /// Snapshots `client`'s instance and diffs `source` against it with `force` as configured.
    public static func observe(
        source: Snapshot, on client: DirectusClient, shaper: DiffShaper, force: Bool
    ) async throws(DirectusClientError) -> Observation {
        let target = try await client.snapshot()
        let result = try await client.diff(to: shaper.upload(source, to: target), force: force)
        guard case .changes(let pending) = result else { return Observation(target: target) }
        guard let shaped = shaper.shape(pending.raw, current: target) else {
            throw DirectusClientError.malformedResponse(detail: "the diff could not be read after filtering")
        }
        return Observation(target: target, pending: pending, shaped: shaped)
    }
}
