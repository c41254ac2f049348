import DirectusSchema

/// How a diff is shaped before it reaches the state machine, the same for the daemon, `plan` and any page that
/// shows a plan: what is uploaded for the target to diff against, and what of Directus's answer is applied.
///
/// - Ignored entities (the target's own `ignore` patterns and the source's) are left out.
/// - The target's system indexes are kept unless promotions manage them: an upload without `systemFields` gets the
///   target's own (a pre-11.13 snapshot would otherwise drop every system index: SPEC section 9), and system index
///   changes are left out of the diff.
/// - Under `destructive: never`, destructive changes (and fields replaced by deleting and creating them) are left
///   out. A target that reads `mode` (12.2+) computes the diff in Directus's own `merge` mode, which leaves out
///   whole-entity deletions itself; what merge keeps of a replacement (the creation of a field that exists) is
///   left out too, so both routes apply the same changes.
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

    /// The snapshot to upload for a diff: `source` as a full snapshot (a revision polled with `excludeCollections`
    /// leaves out only what the ignore rules keep off the target anyway), with the target's own system indexes when
    /// `source` has none and the target's are not managed by promotions.
    public func upload(_ source: Snapshot, to target: Snapshot) -> Snapshot {
        let source = PartialSnapshot.asFull(source)
        guard !manageSystemIndexes, (source.root["systemFields"]?.arrayValue ?? []).isEmpty,
            let own = target.root["systemFields"], !(own.arrayValue ?? []).isEmpty
        else { return source }
        var upload = source
        upload.root["systemFields"] = own
        return upload
    }

    /// The diff mode to ask a target of `version` for: Directus's `merge` under `destructive: never` where the
    /// version reads it (12.2+), `mirror` otherwise.
    public func diffMode(for version: DirectusVersion?) -> DiffMode {
        destructive == .never && version?.supportsDiffMode == true ? .merge : .mirror
    }

    /// Directus's diff (`raw`, as it answered, in `mode`) shaped for `current` (the target's schema, of release
    /// `version`, whose apply the plan's warnings describe); nil when what is left is not a diff Directus would
    /// send.
    public func shape(
        _ raw: JSONValue, current: Snapshot, version: DirectusVersion? = nil, mode: DiffMode = .mirror
    ) -> Shaped? {
        var raw = raw
        var notes: [String] = []
        if mode == .merge {
            notes.append("diffed in Directus's merge mode: no collection, field or relation is deleted")
            let (kept, residue) = Self.withoutCreationsOfExisting(raw, current: current)
            raw = kept
            if !residue.isEmpty {
                notes.append(
                    "never applied (destructive: never): replace "
                        + residue.joined(separator: ", ") + " (it exists; replacing it means deleting it)")
            }
        }
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
        var plan = PlanBuilder.plan(diff, current: current, version: version)
        if destructive == .never {
            let (kept, removed) = DestructivePolicy.withoutDestructive(raw, plan: plan)
            if !removed.isEmpty, let reparsed = try? SnapshotDiff(json: kept) {
                raw = kept
                diff = reparsed
                plan = PlanBuilder.plan(diff, current: current, version: version)
                notes.append(
                    "never applied (destructive: never): "
                        + removed.map { "\($0.action.rawValue) \($0.entity.rawValue) \($0.target)" }.joined(
                            separator: ", "))
            }
        }
        return Shaped(raw: raw, diff: diff, plan: plan, notes: notes)
    }

    /// A merge diff without the root-level creations of entities `current` has: what merge keeps of a field
    /// replaced by deleting and creating it (a change to or from `alias`), which Directus cannot apply.
    static func withoutCreationsOfExisting(_ raw: JSONValue, current: Snapshot) -> (JSONValue, [String]) {
        var removed: [String] = []
        func exists(_ list: [JSONValue], _ entry: JSONValue, byField: Bool) -> Bool {
            list.contains {
                $0["collection"] == entry["collection"]
                    && (!byField || $0["field"] == entry["field"])
            }
        }
        var kept = raw
        for (section, list, byField) in [
            ("collections", current.collections, false), ("fields", current.fields, true),
            ("relations", current.relations, true),
        ] {
            (kept, _) = DiffFilter.removeEntries(
                from: kept,
                where: { entry in
                    guard let first = entry["diff"]?.arrayValue?.first, first["kind"] == "N", first["path"] == nil,
                        exists(list, entry, byField: byField)
                    else { return false }
                    removed.append(
                        [entry["collection"]?.stringValue, entry["field"]?.stringValue].compactMap { $0 }
                            .joined(separator: "."))
                    return true
                }, sections: [section])
        }
        return (kept, removed)
    }

    /// Why Directus is expected to fail a plan's apply, from the plan's own warnings; nil when none predicts it.
    public static func predictedFailure(of plan: Plan) -> String? {
        let failures = plan.warnings.filter { $0.effect == .fails }
        guard !failures.isEmpty else { return nil }
        let shown = failures.prefix(3).map(\.description).joined(separator: "; ")
        return failures.count > 3 ? "\(shown); and \(failures.count - 3) more" : shown
    }
}
