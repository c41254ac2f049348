/// Snapshot entries as Directus 11.x on PostgreSQL exports them: what the demo's schema and the tests' schemas are
/// built from, so that every one of them has the shape a real export has.
public enum SnapshotBuilder {
    /// A collection with a table.
    public static func collection(_ name: String, icon: String) -> JSONValue {
        [
            "collection": .string(name),
            "meta": [
                "accountability": "all", "archive_app_filter": true, "archive_field": nil, "archive_value": nil,
                "collapse": "open", "collection": .string(name), "color": nil, "display_template": nil,
                "group": nil, "hidden": false, "icon": .string(icon), "item_duplication_fields": nil, "note": nil,
                "preview_url": nil, "singleton": false, "sort": nil, "sort_field": nil, "translations": nil,
                "unarchive_value": nil, "versioning": false,
            ],
            "schema": ["name": .string(name)],
        ]
    }

    /// An auto-increment integer primary key `id`.
    public static func primaryKey(_ collection: String) -> JSONValue {
        [
            "collection": .string(collection), "field": "id", "type": "integer",
            "meta": fieldMeta(collection, "id", interface: "input", hidden: true, readonly: true),
            "schema": [
                "name": "id", "table": .string(collection), "data_type": "integer",
                "default_value":
                    .string("nextval('\(collection)_id_seq'::regclass)"),
                "max_length": nil, "numeric_precision": 32, "numeric_scale": 0, "is_nullable": false,
                "is_unique": true, "is_indexed": false, "is_primary_key": true, "is_generated": false,
                "generation_expression": nil, "has_auto_increment": true, "foreign_key_table": nil,
                "foreign_key_column": nil,
            ],
        ]
    }

    /// A UUID primary key `id` that Directus generates (`special: uuid`).
    public static func uuidPrimaryKey(_ collection: String) -> JSONValue {
        var meta = fieldMeta(collection, "id", interface: "input", hidden: true, readonly: true).objectValue!
        meta["special"] = ["uuid"]
        return [
            "collection": .string(collection), "field": "id", "type": "uuid", "meta": .object(meta),
            "schema": [
                "name": "id", "table": .string(collection), "data_type": "uuid", "default_value": nil,
                "max_length": nil, "numeric_precision": nil, "numeric_scale": nil, "is_nullable": false,
                "is_unique": true, "is_indexed": false, "is_primary_key": true, "is_generated": false,
                "generation_expression": nil, "has_auto_increment": false, "foreign_key_table": nil,
                "foreign_key_column": nil,
            ],
        ]
    }

    /// A field with a column; `special` as Directus stores it (`["date-created"]`), `references` the table a
    /// many-to-one points at.
    public static func field(
        _ collection: String, _ name: String, type: String, dataType: String, length: Int?, nullable: Bool,
        unique: Bool = false, special: [String]? = nil, references: String? = nil
    ) -> JSONValue {
        var meta = fieldMeta(collection, name, interface: type == "text" ? "input-multiline" : "input").objectValue!
        if let special { meta["special"] = .array(special.map(JSONValue.string)) }
        return [
            "collection": .string(collection), "field": .string(name), "type": .string(type), "meta": .object(meta),
            "schema": [
                "name": .string(name), "table": .string(collection), "data_type": .string(dataType),
                "default_value": nil, "max_length": length.map { .number(JSONNumber($0)) } ?? .null,
                "numeric_precision": type == "integer" ? 32 : nil, "numeric_scale": type == "integer" ? 0 : nil,
                "is_nullable": .bool(nullable), "is_unique": .bool(unique), "is_indexed": false,
                "is_primary_key": false, "is_generated": false, "generation_expression": nil,
                "has_auto_increment": false, "foreign_key_table": references.map(JSONValue.string) ?? .null,
                "foreign_key_column": references == nil ? nil : "id",
            ],
        ]
    }

    /// The relation of a many-to-one field.
    public static func manyToOne(_ collection: String, _ field: String, to related: String) -> JSONValue {
        [
            "collection": .string(collection), "field": .string(field), "related_collection": .string(related),
            "meta": [
                "many_collection": .string(collection), "many_field": .string(field),
                "one_collection": .string(related), "one_field": nil, "one_collection_field": nil,
                "one_allowed_collections": nil, "junction_field": nil, "sort_field": nil,
                "one_deselect_action": "nullify",
            ],
            "schema": [
                "table": .string(collection), "column": .string(field), "foreign_key_table": .string(related),
                "foreign_key_column": "id", "constraint_name": .string("\(collection)_\(field)_foreign"),
                "on_update": "NO ACTION", "on_delete": "SET NULL",
            ],
        ]
    }

    static func fieldMeta(
        _ collection: String, _ name: String, interface: String, hidden: Bool = false, readonly: Bool = false
    ) -> JSONValue {
        [
            "collection": .string(collection), "conditions": nil, "display": nil, "display_options": nil,
            "field": .string(name), "group": nil, "hidden": .bool(hidden), "interface": .string(interface),
            "note": nil, "options": nil, "readonly": .bool(readonly), "required": false, "searchable": true,
            "sort": nil, "special": nil, "translations": nil, "validation": nil, "validation_message": nil,
            "width": "full",
        ]
    }
}
