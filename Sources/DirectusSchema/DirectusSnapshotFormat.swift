/// How Directus lays out the entities of a snapshot it reports (`get-snapshot.ts`).
public enum DirectusSnapshotFormat {
    /// The keys of each entity in the order Directus emits them.
    static func topKeys(_ kind: EntityKind) -> [String] {
        switch kind {
        case .collection: ["collection", "meta", "schema"]
        case .field: ["collection", "field", "type", "meta", "schema"]
        case .relation: ["collection", "field", "related_collection", "meta", "schema"]
        case .systemField: ["collection", "field", "schema"]
        }
    }

    static func schemaKeys(_ kind: EntityKind) -> [String]? {
        switch kind {
        case .collection: ["name"]
        case .field: Sanitizer.fieldSchemaKeys
        case .relation:
            ["table", "column", "foreign_key_table", "foreign_key_column", "constraint_name", "on_update", "on_delete"]
        case .systemField: ["is_indexed"]
        }
    }

    /// The entity with Directus's key order: known keys first in emitted order (`meta` keys sorted, `schema`
    /// keys in Directus's order), then any other keys as they were.
    public static func entity(_ value: JSONValue, kind: EntityKind) -> JSONValue {
        guard case .object(let source) = value else { return value }
        let top = topKeys(kind)
        var entries: [JSONObject.Element] = []
        for key in top {
            guard let member = source[key] else { continue }
            switch (key, member) {
            case ("meta", .object(let meta)):
                entries.append((key, .object(meta.sortedDeep())))
            case ("schema", .object(let schema)):
                let known = schemaKeys(kind) ?? []
                var ordered: [JSONObject.Element] = known.compactMap { name in schema[name].map { (name, $0) } }
                ordered += schema.filter { !known.contains($0.key) }
                entries.append((key, .object(JSONObject(distinctEntries: ordered))))
            default:
                entries.append((key, member))
            }
        }
        entries += source.filter { !top.contains($0.key) }
        return .object(JSONObject(distinctEntries: entries))
    }

    /// Directus's order: collections by name; fields and relations by collection, keeping creation order
    /// within one; system fields by collection then field. Names compare as JavaScript strings.
    public static func sorted(_ items: [JSONValue], kind: EntityKind) -> [JSONValue] {
        func name(_ value: JSONValue, _ key: String) -> String {
            value[key]?.stringValue ?? value[key]?.jsonString ?? ""
        }
        // Names are read once per item, not once per comparison.
        let keyed = items.enumerated().map { offset, item in
            (offset, name(item, "collection"), kind == .systemField ? name(item, "field") : "", item)
        }
        let sorted = keyed.sorted { left, right in
            if left.1 != right.1 { return jsStringLess(left.1, right.1) }
            if left.2 != right.2 { return jsStringLess(left.2, right.2) }
            return left.0 < right.0
        }
        return sorted.map(\.3)
    }
}
