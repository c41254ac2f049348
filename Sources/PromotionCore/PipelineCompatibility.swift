import DirectusSchema

/// Whether a snapshot can be promoted to a target across the Directus versions and database vendors of a mixed
/// fleet (an upgrade in progress, say development and staging on 12.4 and production still on 12.3).
///
/// Directus refuses a diff unless the snapshot's `directus` label equals the target's version and its vendor the
/// target's, or `force` is sent. Where only the labels differ and both releases write snapshots of the same format
/// (`SnapshotFormat`), the diff is sound: the promoter sends `force` to get past the label check and nothing else.
/// Across a format change or a vendor it is not: the step is blocked with a reason naming both sides, unless the
/// target is configured with `force: true`, the deliberate override.
public enum PipelineCompatibility {
    /// What an environment was found to run.
    public struct Seen: Sendable, Equatable {
        public var name: String
        /// The version label as Directus compares it (a snapshot's `directus:`, an instance's version).
        public var version: String?
        /// The product release behind the label, when known to differ from it (10.1.1–10.8.2 labelled snapshots
        /// with the `@directus/api` package version: `ProductVersionResolver`); else the label read as a version.
        public var release: DirectusVersion?
        public var vendor: String?
        /// The environment is forced (`force: true`): it takes snapshots of other versions and vendors.
        public var force: Bool

        public init(
            name: String, version: String?, release: DirectusVersion? = nil, vendor: String?, force: Bool
        ) {
            self.name = name
            self.version = version
            self.release = release ?? version.flatMap(DirectusVersion.init)
            self.vendor = vendor
            self.force = force
        }
    }

    /// How a snapshot reaches a target.
    public enum Verdict: Sendable, Equatable {
        /// Same version and vendor (or nothing known to compare): sent as it is; Directus checks.
        case same
        /// Other releases of one snapshot format: the diff is sent with `force`, which skips only the label check.
        case acrossVersions(note: String)
        /// The target is configured with `force: true`: always sent with `force`.
        case forced
        /// Not promotable without `force: true` on the target.
        case incompatible(reason: String)

        /// Whether the diff request carries `force`.
        public var sendsForce: Bool {
            switch self {
            case .acrossVersions, .forced: true
            case .same, .incompatible: false
            }
        }
    }

    /// The verdict for sending a snapshot written by `source` (its `directus` label and vendor) to `target`.
    public static func verdict(source: Seen, target: Seen) -> Verdict {
        if target.force { return .forced }
        if let from = source.vendor, let to = target.vendor, from != to {
            return .incompatible(
                reason: "\(source.name) uses \(from) and \(target.name) \(to): Directus refuses a diff across "
                    + "database vendors; set force: true on \(target.name) to promote anyway")
        }
        guard let fromLabel = source.version, let toLabel = target.version, fromLabel != toLabel else { return .same }
        guard let from = source.release, let to = target.release else {
            return .incompatible(
                reason: "\(source.name) runs Directus \(fromLabel) and \(target.name) \(toLabel), versions that cannot "
                    + "be compared; upgrade one, or set force: true on \(target.name)")
        }
        let changes = SnapshotFormat.changes(between: from, and: to)
        guard changes.isEmpty else {
            let what = changes.map { "\($0.release): \($0.change)" }.joined(separator: "; ")
            let (older, newer) = from < to ? (source.name, toLabel) : (target.name, fromLabel)
            return .incompatible(
                reason: "\(source.name) runs Directus \(fromLabel) and \(target.name) \(toLabel), whose snapshots "
                    + "differ in format (\(what)); upgrade \(older) to \(newer), or set force: true on \(target.name) "
                    + "to promote anyway")
        }
        return .acrossVersions(
            note: "\(source.name) runs Directus \(fromLabel) and \(target.name) \(toLabel): the same snapshot format, "
                + "so the diff is sent with force past Directus's version check")
    }

    /// One line per target that cannot take the source's snapshots, naming both sides and the way out. The first
    /// environment of `pipeline` is the source: every target gets its snapshots.
    public static func problems(along pipeline: [Seen]) -> [String] {
        guard let source = pipeline.first else { return [] }
        return pipeline.dropFirst().compactMap { target in
            if case .incompatible(let reason) = verdict(source: source, target: target) {
                return "\(source.name) → \(target.name): \(reason)"
            }
            return nil
        }
    }
}
