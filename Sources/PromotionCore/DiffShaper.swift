import DirectusSchema

/// How a diff is shaped before it reaches the state machine, the same for the daemon, `plan` and any page that
/// shows a plan: what is uploaded for the target to diff against, and what of Directus's answer is applied.
///
/// - Ignored entities (the target's own `ignore` patterns and the source's) are left out.
/// - The target's system indexes are kept unless promotions manage them: an upload without `systemFields` gets the
///   target's own (a pre-11.13 snapshot would otherwise drop every system index: SPEC section 9), and system index
///   changes are left out of the diff.
/// - Under `destructive: never`, destructive changes are left out.
///
/// Directus applies any subset of a diff under the same hash (the hash identifies the target's schema), so the
/// shaped diff keeps Directus's hash.
public struct DiffShaper: Sendable, Equatable {
    public var ignore: IgnoreRules
    public var manageSystemIndexes: Bool
    public var destructive: DestructivePolicy

    /// - Parameters:
    ///   - ignore: the target's patterns and the source's together (what the source owns is never promoted).
    public init(ignore: IgnoreRules, manageSystemIndexes: Bool, destructive: DestructivePolicy) {
        self.ignore = ignore
        self.manageSystemIndexes = manageSystemIndexes
        self.destructive = destructive
    }

    /// A diff as it will be applied, with its plan and what was left out.
    public struct Shaped: Sendable, Equatable {
        /// The diff's JSON, in Directus's order, without what was left out.
        public var raw: JSONValue
        public var diff: SnapshotDiff
        public var plan: Plan
        /// What was left out, in words (`2 ignored entities left out`).
        public var notes: [String]

        /// Whether nothing is left to apply.
        public var isEmpty: Bool { DiffFilter.isEmpty(raw) }
    }

    /// The snapshot to upload for a diff: `source`, with the target's own system indexes when `source` has none and
    /// the target's are not managed by promotions.
    public func upload(_ source: Snapshot, to target: Snapshot) -> Snapshot {
        guard !manageSystemIndexes, (source.root["systemFields"]?.arrayValue ?? []).isEmpty,
            let own = target.root["systemFields"], !(own.arrayValue ?? []).isEmpty
        else { return source }
        var upload = source
        upload.root["systemFields"] = own
        return upload
    }

    /// Directus's diff (`raw`, as it answered) shaped for `current` (the target's schema); nil when what is left is
    /// not a diff Directus would send.
    public func shape(_ raw: JSONValue, current: Snapshot) -> Shaped? {
        var raw = raw
        var notes: [String] = []
        let (withoutIgnored, ignored) = ignore.filter(raw)
        raw = withoutIgnored
        if ignored > 0 { notes.append("\(ignored) ignored entit\(ignored == 1 ? "y" : "ies") left out") }
        if !manageSystemIndexes {
            let (kept, removed) = DiffFilter.removeEntries(from: raw, where: { _ in true }, sections: ["systemFields"])
            raw = kept
            if removed > 0 {
                notes.append(
                    "\(removed) system index change\(removed == 1 ? "" : "s") left out (system_indexes: keep)")
            }
        }
        guard var diff = try? SnapshotDiff(json: raw) else { return nil }
        var plan = PlanBuilder.plan(diff, current: current)
        if destructive == .never {
            let (kept, removed) = DestructivePolicy.withoutDestructive(raw, plan: plan)
            if !removed.isEmpty, let reparsed = try? SnapshotDiff(json: kept) {
                raw = kept
                diff = reparsed
                plan = PlanBuilder.plan(diff, current: current)
                notes.append(
                    "never applied (destructive: never): "
                        + removed.map { "\($0.action.rawValue) \($0.entity.rawValue) \($0.target)" }.joined(
                            separator: ", "))
            }
        }
        return Shaped(raw: raw, diff: diff, plan: plan, notes: notes)
    }

    /// Why Directus is expected to fail a plan's apply, from the plan's own warnings; nil when none predicts it.
    public static func predictedFailure(of plan: Plan) -> String? {
        let failures = plan.warnings.filter { $0.effect == .fails }
        guard !failures.isEmpty else { return nil }
        let shown = failures.prefix(3).map(\.description).joined(separator: "; ")
        return failures.count > 3 ? "\(shown); and \(failures.count - 3) more" : shown
    }
}
