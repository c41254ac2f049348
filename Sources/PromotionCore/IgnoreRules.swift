import DirectusSchema
import Foundation

/// Collections and fields an environment owns: left out of drift and out of the diffs applied to it (like Argo
/// CD's `ignoreDifferences`). A pattern is `collection` (the collection, its fields and its relations) or
/// `collection.field`; `*` matches any run of characters within a part (`directus_*`, `*.internal_*`).
public struct IgnoreRules: Sendable, Equatable {
    public var patterns: [String]

    public init(_ patterns: [String] = []) { self.patterns = patterns }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether an entity of `collection` (and `field`, for fields and relations) is ignored.
    public func matches(collection: String, field: String?) -> Bool {
        patterns.contains { pattern in
            // `role:Editor`, `flow:…`: configuration (DirectusConfig's ConfigIgnore), never a collection.
            if pattern.contains(":") { return false }
            let parts = pattern.split(separator: ".", maxSplits: 1).map(String.init)
            guard Glob.matches(parts[0], collection) else { return false }
            guard parts.count == 2 else { return true }
            guard let field else { return false }
            return Glob.matches(parts[1], field)
        }
    }

    /// The collections these rules ignore whole and by name, for `excludeCollections`: the patterns without a
    /// field part and without `*`. A `*` pattern stays a filter on what was polled: resolving it against the names
    /// of the last poll would leave a collection out of one poll and in the next, a new revision every time.
    public var excludedCollections: [String] {
        var seen = Set<String>()
        return patterns.filter {
            !$0.contains(".") && !$0.contains("*") && !$0.contains(":") && seen.insert($0).inserted
        }
    }

    /// A Directus diff (`{collections, fields, systemFields, relations}`) without the ignored entries.
    public func filter(_ diff: JSONValue) -> (diff: JSONValue, removed: Int) {
        guard !isEmpty else { return (diff, 0) }
        return DiffFilter.removeEntries(from: diff) { entry in
            guard let collection = entry["collection"]?.stringValue else { return false }
            return matches(collection: collection, field: entry["field"]?.stringValue)
        }
    }

    /// A parsed diff without the ignored entries.
    public func filter(_ diff: SnapshotDiff) -> SnapshotDiff {
        guard !isEmpty else { return diff }
        func keep(_ entries: [SnapshotDiff.Entry]) -> [SnapshotDiff.Entry] {
            entries.filter { entry in
                !matches(collection: entry.collectionName, field: entry.field == nil ? nil : entry.fieldName)
            }
        }
        return SnapshotDiff(
            collections: keep(diff.collections), fields: keep(diff.fields), systemFields: keep(diff.systemFields),
            relations: keep(diff.relations))
    }
}
