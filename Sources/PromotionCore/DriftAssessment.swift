import DirectusSchema

/// Whether an environment still has the schema we expect it to have, and if not, why.
///
/// The expectation is the schema last verified there (or the first one seen). A Directus upgrade changes the
/// snapshot too (new metadata keys, new indexed system fields, the version label), but that is not drift: an
/// upgrade is reported as such when the version changed and every difference is a key or system index that one
/// version has and the other lacks.
public enum DriftAssessment: Sendable, Equatable {
    /// The environment has exactly the expected schema.
    case inSync
    /// The Directus version changed and nothing else did.
    case upgraded(from: String?, to: String?)
    /// Someone changed the schema behind our back.
    case drifted(DriftReport)

    /// Compares what an environment reports with what we expect of it.
    /// Entities matched by `ignoring` (owned by the environment) never count as drift.
    public static func assess(
        expected: Snapshot, observed: Snapshot, ignoring rules: IgnoreRules = IgnoreRules()
    ) -> DriftAssessment {
        if expected.contentHash == observed.contentHash { return .inSync }
        // What it would take to turn the observed schema back into the expected one.
        // A partial revision (polled with excludeCollections) stands for everything but what the rules ignore.
        let diff = rules.filter(SnapshotDiffer.diff(current: observed, after: PartialSnapshot.asFull(expected)))
        let versionChanged = expected.directus != observed.directus
        if diff.isEmpty {
            // Only the header or ordering differs.
            return versionChanged ? .upgraded(from: expected.directus, to: observed.directus) : .inSync
        }
        if versionChanged && isUpgradeOnly(diff) {
            return .upgraded(from: expected.directus, to: observed.directus)
        }
        return .drifted(
            DriftReport(
                expected: expected, observed: observed, ignoringUpgradeChanges: versionChanged, ignoring: rules))
    }

    /// The diff without what an upgrade alone produces: keys appearing or disappearing, system indexes.
    static func withoutUpgradeChanges(_ diff: SnapshotDiff) -> SnapshotDiff {
        func strip(_ entries: [SnapshotDiff.Entry]) -> [SnapshotDiff.Entry] {
            entries.compactMap { entry in
                var kept = entry
                kept.diff = entry.diff.filter { $0.path.isEmpty || ($0.kind != .new && $0.kind != .deleted) }
                return kept.diff.isEmpty ? nil : kept
            }
        }
        return SnapshotDiff(
            collections: strip(diff.collections), fields: strip(diff.fields), systemFields: [],
            relations: strip(diff.relations))
    }

    /// Every difference is a key present in one version only (added or removed, never edited) or a system
    /// index: what an upgrade does to a snapshot without anyone touching the schema.
    static func isUpgradeOnly(_ diff: SnapshotDiff) -> Bool {
        guard diff.collections.allSatisfy(\.isKeyPresenceOnly), diff.fields.allSatisfy(\.isKeyPresenceOnly),
            diff.relations.allSatisfy(\.isKeyPresenceOnly)
        else { return false }
        return true
    }
}

extension SnapshotDiff.Entry {
    /// Only keys appearing or disappearing inside an existing entity (N or D records with a path).
    var isKeyPresenceOnly: Bool {
        diff.allSatisfy { record in
            !record.path.isEmpty && (record.kind == .new || record.kind == .deleted)
        }
    }
}

/// What drifted, readably: the changes made on the environment since the expected schema.
public struct DriftReport: Sendable, Equatable {
    /// The expected and observed content hashes: a drift is reported once per distinct observed schema.
    public var expectedHash: String
    public var observedHash: String
    /// The changes found on the environment, as a plan from the expected schema to the observed one.
    public var plan: Plan

    /// With `ignoringUpgradeChanges` (the version changed too), keys that one version has and the other lacks,
    /// and system indexes, are left out: the report shows what people changed, not what the upgrade did.
    public init(
        expected: Snapshot, observed: Snapshot, ignoringUpgradeChanges: Bool = false,
        ignoring rules: IgnoreRules = IgnoreRules()
    ) {
        expectedHash = expected.contentHash
        observedHash = observed.contentHash
        var diff = rules.filter(SnapshotDiffer.diff(current: expected, after: PartialSnapshot.asFull(observed)))
        if ignoringUpgradeChanges { diff = DriftAssessment.withoutUpgradeChanges(diff) }
        plan = PlanBuilder.plan(diff, current: expected)
    }

    /// One line: `3 changes made outside the pipeline: + field articles.extra, ~ field articles.title, …`.
    public var summary: String {
        let names = plan.changes.prefix(5).map { change -> String in
            let marker = change.action == .create ? "+" : change.action == .delete ? "-" : "~"
            return
                "\(marker) \(change.entity == .systemField ? "system field" : change.entity.rawValue) \(change.target)"
        }
        let more = plan.changes.count > 5 ? ", and \(plan.changes.count - 5) more" : ""
        let count = plan.changes.count
        return
            "\(count) change\(count == 1 ? "" : "s") made outside the pipeline: \(names.joined(separator: ", "))\(more)"
    }
}
