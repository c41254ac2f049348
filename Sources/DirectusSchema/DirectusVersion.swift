/// A Directus release version (`11.17.4`, `9.0.0-rc.93`), ordered as releases are.
public struct DirectusVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// The pre-release tag (`rc.93`), empty for a release.
    public var prerelease: String

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: String = "") {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses `MAJOR.MINOR.PATCH[-PRERELEASE]`; a missing minor or patch reads as 0. `nil` when not a version.
    public init?(_ text: String) {
        var core = Substring(text.trimmingPrefix("v"))
        var prerelease = ""
        if let dash = core.firstIndex(of: "-") {
            prerelease = String(core[core.index(after: dash)...])
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isASCII), let number = Int(part), number >= 0 else { return nil }
            numbers.append(number)
        }
        while numbers.count < 3 { numbers.append(0) }
        self.init(numbers[0], numbers[1], numbers[2], prerelease: prerelease)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-\(prerelease)")
    }

    public static func < (lhs: DirectusVersion, rhs: DirectusVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        // A pre-release sorts before its release.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): return lhs.prerelease.compare(rhs.prerelease) == .orderedAscending
        }
    }
}

extension String {
    fileprivate func compare(_ other: String) -> ComparisonOrder {
        self == other ? .orderedSame : (jsStringLess(self, other) ? .orderedAscending : .orderedDescending)
    }
}

private enum ComparisonOrder { case orderedAscending, orderedSame, orderedDescending }

// MARK: - Features by version

extension DirectusVersion {
    /// 11.13.0: snapshots carry `systemFields`, diffs and apply bodies require them, fields get `meta.searchable`.
    public var hasSystemFields: Bool { self >= DirectusVersion(11, 13, 0) }
    /// 11.17.4: `POST /schema/apply?force` bypasses the hash check.
    public var supportsApplyForce: Bool { self >= DirectusVersion(11, 17, 4) }
    /// 12.2.0: `?force` honours its value (`queryFlag`) on `/schema/diff` and `/schema/apply`; before, its mere
    /// presence forced a diff and a bare `?force` did not force an apply.
    public var honoursForceValue: Bool { self >= DirectusVersion(12, 2, 0) }
    /// 12.2.0: partial snapshots (`version: 2`, `includeCollections`/`excludeCollections`), read and written.
    public var supportsPartialSnapshots: Bool { self >= DirectusVersion(12, 2, 0) }
    /// 12.2.0: `POST /utils/import` (no collection): several collections in one transaction, with `dryRun`
    /// (CONFIG-SPEC section 7); 404 before.
    public var supportsBatchImport: Bool { self >= DirectusVersion(12, 2, 0) }
    /// 12.2.0: `POST /schema/diff?mode=mirror|merge`.
    public var supportsDiffMode: Bool { self >= DirectusVersion(12, 2, 0) }
    /// 12.2.0: a multipart upload of `IMPORT_MAX_FILE_SIZE` bytes or more is refused with 413; the admin check runs
    /// before the body is read; the first file only is read, as JSON or YAML by its type.
    public var capsMultipartUploads: Bool { self >= DirectusVersion(12, 2, 0) }
    /// 12.4 (PR #27880, first release not determined; SPEC-12 section 7): apply judges creation and deletion on a
    /// root-level `N`/`D` only, in its conflict checks and its plan.
    public var judgesEntitiesAtRoot: Bool { self >= DirectusVersion(12, 4, 0) }
    /// 10.1.0: multipart file upload for diff and apply.
    public var supportsMultipartUpload: Bool { self >= DirectusVersion(10, 1, 0) }
    /// 11.10.0: tables and columns without Directus metadata are left out of snapshots.
    public var excludesDatabaseOnlyEntities: Bool { self >= DirectusVersion(11, 10, 0) }
}

// MARK: - Snapshot formats

/// What a full snapshot carries changes with some releases (ODDITIES.md section 3, SPEC's version table). Two
/// releases between the same two changes write snapshots of the same shape, so one's snapshot diffs against the
/// other without a key of one side showing up as a change on every entity; across a change it does not.
public enum SnapshotFormat {
    /// The releases that changed the shape of snapshots, with what changed.
    public static let changes: [(release: DirectusVersion, change: String)] = [
        (DirectusVersion(10, 0, 0), "field schema lost schema, foreign_key_schema and comment"),
        (DirectusVersion(10, 7, 0), "collection meta gained versioning"),
        (DirectusVersion(11, 1, 2), "field schema gained is_indexed"),
        (DirectusVersion(11, 10, 0), "tables and columns without Directus metadata are left out"),
        (DirectusVersion(11, 13, 0), "snapshots gained systemFields and field meta searchable"),
        (DirectusVersion(12, 0, 0), "collection meta gained status and autosave_revision_interval"),
    ]

    /// The format generation of `version`: how many format changes it has.
    public static func generation(of version: DirectusVersion) -> Int {
        changes.filter { version >= $0.release }.count
    }

    /// The changes between two releases (empty: the same format), oldest first.
    public static func changes(
        between a: DirectusVersion, and b: DirectusVersion
    ) -> [(release: DirectusVersion, change: String)] {
        let (low, high) = a < b ? (a, b) : (b, a)
        return changes.filter { low < $0.release && $0.release <= high }
    }
}

// MARK: - Phases of the schema API

/// The stretches of Directus releases whose schema API behaves alike (SPEC-12 section 1). Within one phase only the
/// 11.x feature flags above differ (`systemFields` from 11.13, apply `force` from 11.17.4).
public enum DirectusPhase: String, Sendable, CaseIterable, Comparable {
    /// 11.x to 12.1: the 11.17.4 schema code.
    case v11 = "11.x-12.1"
    /// 12.2 and 12.3: partial snapshots, diff modes, `queryFlag` force, the upload cap.
    case v12_2 = "12.2-12.3"
    /// 12.4 and later: as 12.2, with entities created and deleted only by root-level records (#27880).
    case v12_4 = "12.4+"

    public init(_ version: DirectusVersion) {
        if version.judgesEntitiesAtRoot {
            self = .v12_4
        } else if version.supportsPartialSnapshots {
            self = .v12_2
        } else {
            self = .v11
        }
    }

    /// A release of the phase, standing for it (the emulator's default and the tests').
    public var representative: DirectusVersion {
        switch self {
        case .v11: DirectusVersion(11, 17, 4)
        case .v12_2: DirectusVersion(12, 3, 0)
        case .v12_4: DirectusVersion(12, 6, 0)
        }
    }

    public static func < (lhs: DirectusPhase, rhs: DirectusPhase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

// MARK: - The `directus:` label of a snapshot

/// Works out which Directus release wrote a snapshot.
///
/// From 10.1.1 to 10.8.2 the `directus:` value was the `@directus/api` package version, not the product's
/// (fixed in 10.8.3). Those labels (`11.1.0`, `12.0.2`, …, `14.1.2`) collide with real releases, so the content
/// decides: a real 11.x export has the `versioning` collection key (10.7+), a real 12.x has the collection
/// `status` key (12.0+).
public enum ProductVersionResolver {
    /// `@directus/api` package versions seen as snapshot labels, with the Directus release each shipped in.
    public static let apiPackageLabels: [String: String] = [
        "11.1.0": "10.3.0", "12.0.2": "10.4.2", "12.0.3": "10.4.3", "12.1.2": "10.5.2", "13.0.0": "10.6.0",
        "13.1.1": "10.6.3", "14.0.1": "10.7.1", "14.1.2": "10.8.2",
    ]

    /// How the product version was found.
    public enum Basis: String, Sendable {
        /// The label is a product version.
        case label
        /// The label is an `@directus/api` package version, mapped to its release.
        case apiPackageLabel
        /// The snapshot has no usable label.
        case unknown
    }

    public struct Resolution: Sendable, Equatable {
        public var version: DirectusVersion?
        public var label: String?
        public var basis: Basis
    }

    public static func resolve(_ snapshot: Snapshot) -> Resolution {
        guard let label = snapshot.directus, let labelled = DirectusVersion(label) else {
            return Resolution(version: nil, label: snapshot.directus, basis: .unknown)
        }
        guard let mapped = apiPackageLabels[labelled.description], labelled.prerelease.isEmpty else {
            return Resolution(version: labelled, label: label, basis: .label)
        }
        let collectionMetaKeys = Set(snapshot.collections.compactMap { $0["meta"]?.objectValue }.flatMap(\.keys))
        let looksReal: Bool
        switch labelled.major {
        case 11: looksReal = collectionMetaKeys.contains("versioning")
        default: looksReal = collectionMetaKeys.contains("status")
        }
        if looksReal || (collectionMetaKeys.isEmpty && labelled.major == 11) {
            return Resolution(version: labelled, label: label, basis: .label)
        }
        return Resolution(version: DirectusVersion(mapped), label: label, basis: .apiPackageLabel)
    }
}
