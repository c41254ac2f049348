/// Directus's `sanitize-schema.ts` (11.x): each entity is rebuilt with lodash `pick`, so only these paths take
/// part in a diff, in this key order.
///
/// `pick` keeps a path only when it exists (`hasIn`): a `schema: null` or `schema: {}` yields no `schema` key,
/// while `meta: null` is kept as `null`. Picked values are the originals, so `meta` keeps its own key order.
public enum Sanitizer {
    static let collectionPaths: [[String]] = [["collection"], ["fields"], ["meta"], ["schema", "name"]]

    static let fieldDefaultPaths: [[String]] = [
        ["collection"], ["field"], ["type"], ["meta"], ["name"], ["children"],
    ]

    static let fieldSchemaKeys = [
        "name", "table", "data_type", "default_value", "max_length", "numeric_precision", "numeric_scale",
        "is_nullable", "is_unique", "is_indexed", "is_primary_key", "is_generated", "generation_expression",
        "has_auto_increment", "foreign_key_table", "foreign_key_column",
    ]

    static let fieldPaths: [[String]] = fieldDefaultPaths + fieldSchemaKeys.map { ["schema", $0] }

    static let relationPaths: [[String]] =
        [["collection"], ["field"], ["related_collection"], ["meta"]]
        + ["table", "column", "foreign_key_table", "foreign_key_column", "constraint_name", "on_update", "on_delete"]
        .map { ["schema", $0] }

    static let systemFieldPaths: [[String]] = [["collection"], ["field"], ["schema", "is_indexed"]]

    public static func collection(_ value: JSONValue) -> JSONValue {
        pick(value, collectionPaths)
    }

    /// A field; with `withoutSchema` (an auto-increment primary key) no `schema.*` path is picked.
    public static func field(_ value: JSONValue, withoutSchema: Bool = false) -> JSONValue {
        pick(value, withoutSchema ? fieldDefaultPaths : fieldPaths)
    }

    public static func relation(_ value: JSONValue) -> JSONValue {
        pick(value, relationPaths)
    }

    public static func systemField(_ value: JSONValue) -> JSONValue {
        pick(value, systemFieldPaths)
    }

    /// lodash `pick(object, paths)` for paths of one or two keys over parsed JSON.
    static func pick(_ value: JSONValue, _ paths: [[String]]) -> JSONValue {
        guard case .object(let source) = value else { return .object(JSONObject()) }
        // Top-level keys in order of first appearance among the paths, each with its picked value or the
        // nested keys picked under it. The paths name each key once, so entries are distinct. A handful of
        // top-level keys: a linear search beats hashing.
        var picked: [(key: String, whole: JSONValue?, nested: [JSONObject.Element])] = []
        picked.reserveCapacity(6)
        for path in paths {
            guard let first = source[path[0]] else { continue }
            if path.count == 1 {
                if let position = picked.firstIndex(where: { $0.key == path[0] }) {
                    picked[position].whole = first
                } else {
                    picked.append((path[0], first, []))
                }
                continue
            }
            // `hasIn` through a nested object; null, primitives and arrays have none of these keys.
            guard case .object(let nested) = first, let leaf = nested[path[1]] else { continue }
            if let position = picked.firstIndex(where: { $0.key == path[0] }) {
                picked[position].nested.append((path[1], leaf))
            } else {
                picked.append((path[0], nil, [(path[1], leaf)]))
            }
        }
        let entries: [JSONObject.Element] = picked.map { entry in
            if !entry.nested.isEmpty { return (entry.key, .object(JSONObject(distinctEntries: entry.nested))) }
            return (entry.key, entry.whole!)
        }
        return .object(JSONObject(distinctEntries: entries))
    }
}
