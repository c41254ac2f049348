import DirectusSchema
import TestSupport

/// Deterministic large snapshots: collections with realistic metadata, fields with options and translations.
enum GeneratedSnapshots {
    static func make(targetBytes: Int) -> Snapshot {
        var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
        var collections: [JSONValue] = []
        var fields: [JSONValue] = []
        var index = 0
        var size = 0
        while size < targetBytes {
            let name = "collection_\(index)"
            let collection: JSONValue = [
                "collection": .string(name),
                "meta": [
                    "accountability": "all", "collapse": "open", "collection": .string(name), "hidden": false,
                    "icon": "box", "note": .string("Generated collection \(index)"), "singleton": false,
                    "translations": [["language": "en-US", "translation": .string("Collection \(index)")]],
                ],
                "schema": ["name": .string(name)],
            ]
            collections.append(collection)
            size += collection.jsonString.utf8.count
            for fieldIndex in 0..<20 {
                let fieldName = fieldIndex == 0 ? "id" : "field_\(fieldIndex)"
                let field: JSONValue = [
                    "collection": .string(name), "field": .string(fieldName),
                    "type": fieldIndex == 0 ? "integer" : "string",
                    "meta": [
                        "collection": .string(name), "field": .string(fieldName), "interface": "input", "hidden": false,
                        "options": ["placeholder": .string("Enter \(fieldName)"), "trim": true],
                        "sort": .number(JSONNumber(fieldIndex + 1)), "width": "full",
                        "translations": [["language": "de-DE", "translation": .string("Feld \(fieldIndex)")]],
                    ],
                    "schema": [
                        "name": .string(fieldName), "table": .string(name),
                        "data_type": fieldIndex == 0 ? "integer" : "character varying",
                        "max_length": fieldIndex == 0 ? nil : 255, "is_nullable": .bool(fieldIndex != 0),
                        "is_primary_key": .bool(fieldIndex == 0), "has_auto_increment": .bool(fieldIndex == 0),
                    ],
                ]
                fields.append(field)
                size += field.jsonString.utf8.count
            }
            index += 1
        }
        snapshot.collections = collections
        snapshot.fields = fields
        return snapshot
    }
}
