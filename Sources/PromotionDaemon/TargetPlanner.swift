import DirectusClient
import DirectusSchema
import PromotionCore

/// What a target would get now: its snapshot, Directus's diff of a source snapshot against it, and that diff shaped
/// as it will be applied (`DiffShaper`). The daemon plans with it and `plan ENV` prints it, so both show the same.
///
/// The target's release decides how it is asked: a snapshot of another release of the same format is sent with
/// `force` past Directus's version check, one across a format change is not sent at all (`incompatible`, unless the
/// target is forced: `PipelineCompatibility`), and under `destructive: never` a 12.2+ target diffs in `merge` mode.
public enum TargetPlanner {
    /// A target observed and planned.
    public struct Observation: Sendable {
        /// The target's schema when the diff was taken.
        public var target: Snapshot
        /// The target's release, as `/server/info` (or else its snapshot) reports it.
        public var version: DirectusVersion?
        /// Why the source's snapshot cannot be promoted to this target (nothing was diffed).
        public var incompatible: String?
        /// How the snapshot was sent: as it is, or with `force` (and why).
        public var verdict: PipelineCompatibility.Verdict = .same
        /// Directus's diff as it answered (nil: in sync).
        public var pending: PendingDiff?
        /// The diff as it will be applied (nil: in sync); may be empty when everything was left out.
        public var shaped: DiffShaper.Shaped?

        /// Whether nothing would be applied.
        public var isInSync: Bool { incompatible == nil && (shaped?.isEmpty ?? true) }

        /// The pending diff with only what will be applied, ready for `/schema/apply` (same hash).
        public var applicable: PendingDiff? {
            guard let pending, let shaped, !shaped.isEmpty else { return nil }
            return PendingDiff(hash: pending.hash, diff: shaped.diff, raw: shaped.raw, mode: pending.mode)
        }
    }

    /// The environments of one step: the source that wrote the snapshot and the target, with its `force` setting.
    public struct Step: Sendable {
        public var source: String
        public var target: String
        public var force: Bool

        public init(source: String, target: String, force: Bool) {
            self.source = source
            self.target = target
            self.force = force
        }
    }

    /// Snapshots `client`'s instance and diffs `source` against it as the target's release and `step` allow.
    public static func observe(
        source: Snapshot, on client: DirectusClient, shaper: DiffShaper, step: Step
    ) async throws(DirectusClientError) -> Observation {
        let target = try await client.snapshot()
        let version = try await releaseOf(client, snapshot: target)
        let verdict = PipelineCompatibility.verdict(
            source: .init(
                name: step.source, version: source.directus, release: ProductVersionResolver.resolve(source).version,
                vendor: source.vendor, force: false),
            target: .init(
                name: step.target, version: target.directus, release: ProductVersionResolver.resolve(target).version,
                vendor: target.vendor, force: step.force))
        if case .incompatible(let reason) = verdict {
            return Observation(target: target, version: version, incompatible: reason, verdict: verdict)
        }
        let result = try await client.diff(
            to: shaper.upload(source, to: target), force: verdict.sendsForce, mode: shaper.diffMode(for: version))
        guard case .changes(let pending) = result else {
            return Observation(target: target, version: version, verdict: verdict)
        }
        guard let shaped = shaper.shape(pending.raw, current: target, version: version, mode: pending.mode) else {
            throw DirectusClientError.malformedResponse(detail: "the diff could not be read after filtering")
        }
        return Observation(target: target, version: version, verdict: verdict, pending: pending, shaped: shaped)
    }

    /// The release from `/server/info`, or the snapshot's label when the instance does not say.
    static func releaseOf(
        _ client: DirectusClient, snapshot: Snapshot
    ) async throws(DirectusClientError) -> DirectusVersion? {
        try await ConfigurationObserver.releaseOf(client) ?? snapshot.directus.flatMap(DirectusVersion.init)
    }
}
