/// Whether a snapshot describes a state a Directus instance could actually be in.
///
/// Hand-edited or partial files can list a field whose collection is missing, a relation on a field that does
/// not exist, or the same entity twice. Directus cannot reach such a state, so no apply converges to it.
public enum SnapshotConsistency {
    /// System collections (`directus_*`) are never listed in snapshots, yet always exist.
    public static func isSystemCollection(_ name: String) -> Bool { name.hasPrefix("directus_") }

    /// Every problem found, each naming the entity.
    public static func problems(in snapshot: Snapshot) -> [String] {
        var problems: [String] = []
        var collectionNames = Set<String>()
        for (index, item) in snapshot.collections.enumerated() {
            guard let name = item["collection"]?.stringValue else {
                problems.append("collections[\(index)] has no collection name")
                continue
            }
            if !collectionNames.insert(name).inserted { problems.append("collection \(name) is listed twice") }
        }
        func collectionExists(_ name: String) -> Bool { collectionNames.contains(name) || isSystemCollection(name) }
        for item in snapshot.collections {
            if let group = item["meta"]?["group"]?.stringValue, !collectionExists(group) {
                problems.append("collection \(item["collection"]?.stringValue ?? "?") is in missing group \(group)")
            }
        }
        var fieldNames = Set<[String]>()
        for (index, item) in snapshot.fields.enumerated() {
            guard let collection = item["collection"]?.stringValue, let field = item["field"]?.stringValue else {
                problems.append("fields[\(index)] has no collection or field name")
                continue
            }
            if !fieldNames.insert([collection, field]).inserted {
                problems.append("field \(collection).\(field) is listed twice")
            }
            if !collectionExists(collection) {
                problems.append("field \(collection).\(field) belongs to no collection")
            }
        }
        var relationNames = Set<[String]>()
        for (index, item) in snapshot.relations.enumerated() {
            guard let collection = item["collection"]?.stringValue, let field = item["field"]?.stringValue else {
                problems.append("relations[\(index)] has no collection or field name")
                continue
            }
            if !relationNames.insert([collection, field]).inserted {
                problems.append("relation \(collection).\(field) is listed twice")
            }
            if !fieldNames.contains([collection, field]) && !isSystemCollection(collection) {
                problems.append("relation \(collection).\(field) is on a field that does not exist")
            }
            if let related = item["related_collection"]?.stringValue {
                if !collectionExists(related) {
                    problems.append("relation \(collection).\(field) points to missing collection \(related)")
                } else if let oneField = item["meta"]?["one_field"]?.stringValue,
                    !fieldNames.contains([related, oneField]), !isSystemCollection(related)
                {
                    problems.append("relation \(collection).\(field) names missing field \(related).\(oneField)")
                }
            }
        }
        var systemFieldNames = Set<[String]>()
        for item in snapshot.systemFields {
            let key = [item["collection"]?.stringValue ?? "", item["field"]?.stringValue ?? ""]
            if !systemFieldNames.insert(key).inserted {
                problems.append("system field \(key.joined(separator: ".")) is listed twice")
            }
            if item["schema"]?["is_indexed"]?.isTruthy != true {
                problems.append(
                    "system field \(key.joined(separator: ".")) is listed unindexed (Directus lists only indexed ones)")
            }
        }
        return problems
    }
}
