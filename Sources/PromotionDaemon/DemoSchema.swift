import DirectusSchema

/// The demo's schema: a small blog (articles and authors) as Directus 11.17.4 on PostgreSQL exports it, written
/// for this project. Embedded so that `demo` needs nothing beside the binary.
public enum DemoSchema {
    public static let version = "11.17.4"

    public static var initial: Snapshot {
        var snapshot = Snapshot(directus: version, vendor: "postgres")
        snapshot.collections = [collection("authors", icon: "person"), collection("articles", icon: "article")]
        snapshot.fields = [
            primaryKey("authors"),
            field("authors", "name", type: "string", dataType: "character varying", length: 255, nullable: false),
            primaryKey("articles"),
            field("articles", "title", type: "string", dataType: "character varying", length: 255, nullable: false),
            field("articles", "body", type: "text", dataType: "text", length: nil, nullable: true),
            field("articles", "author", type: "integer", dataType: "integer", length: nil, nullable: true),
        ]
        snapshot.relations = [
            [
                "collection": "articles", "field": "author", "related_collection": "authors",
                "meta": [
                    "many_collection": "articles", "many_field": "author", "one_collection": "authors",
                    "one_field": nil, "one_collection_field": nil, "one_allowed_collections": nil,
                    "junction_field": nil, "sort_field": nil, "one_deselect_action": "nullify",
                ],
                "schema": [
                    "table": "articles", "column": "author", "foreign_key_table": "authors",
                    "foreign_key_column": "id", "constraint_name": "articles_author_foreign",
                    "on_update": "NO ACTION", "on_delete": "SET NULL",
                ],
            ]
        ]
        return snapshot
    }

    /// The change the demo makes on development: a `summary` field on articles.
    public static var withSummary: Snapshot {
        var snapshot = initial
        snapshot.fields.append(
            field("articles", "summary", type: "text", dataType: "text", length: nil, nullable: true))
        return snapshot
    }

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

    public static func field(
        _ collection: String, _ name: String, type: String, dataType: String, length: Int?, nullable: Bool
    ) -> JSONValue {
        [
            "collection": .string(collection), "field": .string(name), "type": .string(type),
            "meta": fieldMeta(collection, name, interface: type == "text" ? "input-multiline" : "input"),
            "schema": [
                "name": .string(name), "table": .string(collection), "data_type": .string(dataType),
                "default_value": nil, "max_length": length.map { .number(JSONNumber($0)) } ?? .null,
                "numeric_precision": type == "integer" ? 32 : nil, "numeric_scale": type == "integer" ? 0 : nil,
                "is_nullable": .bool(nullable), "is_unique": false, "is_indexed": false, "is_primary_key": false,
                "is_generated": false, "generation_expression": nil, "has_auto_increment": false,
                "foreign_key_table": nil, "foreign_key_column": nil,
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
