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
        var result = JSONObject()
        for key in topKeys(kind) {
            guard let member = source[key] else { continue }
            switch (key, member) {
            case ("meta", .object(let meta)):
                result[key] = .object(meta.sortedDeep())
            case ("schema", .object(let schema)):
                var ordered = JSONObject()
                for schemaKey in schemaKeys(kind) ?? [] {
                    if let value = schema[schemaKey] { ordered[schemaKey] = value }
                }
                for (schemaKey, value) in schema where !ordered.contains(key: schemaKey) {
                    ordered[schemaKey] = value
                }
                result[key] = .object(ordered)
            default:
                result[key] = member
            }
        }
        for (key, member) in source where !result.contains(key: key) {
            result[key] = member
        }
        return .object(result)
    }

    /// Directus's order: collections by name; fields and relations by collection, keeping creation order
    /// within one; system fields by collection then field. Names compare as JavaScript strings.
    public static func sorted(_ items: [JSONValue], kind: EntityKind) -> [JSONValue] {
        func name(_ value: JSONValue, _ key: String) -> String {
            value[key]?.stringValue ?? value[key]?.jsonString ?? ""
        }
        let indexed = items.enumerated().map { ($0.offset, $0.element) }
        let sorted = indexed.sorted { left, right in
            let (a, b) = (name(left.1, "collection"), name(right.1, "collection"))
            if a != b { return jsStringLess(a, b) }
            if kind == .systemField {
                let (fa, fb) = (name(left.1, "field"), name(right.1, "field"))
                if fa != fb { return jsStringLess(fa, fb) }
            }
            return left.0 < right.0
        }
        return sorted.map(\.1)
    }
}
