import DirectusSchema

/// Deterministic large, realistic snapshots and revision sequences: collections with nested meta (translations,
/// options), fields of every common kind, relations between collections. The same seed gives the same bytes.
struct SnapshotGenerator {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) ^ state
        }
        mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
        mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
    }

    var collections: Int
    var fieldsPerCollection: Int
    var relations: Int
    var random = Random(state: 0x5EED_D1EC_7005)

    static let words = [
        "article", "author", "page", "event", "venue", "product", "order", "invoice", "customer", "ticket", "tag",
        "category", "review", "comment", "media", "gallery", "member", "team", "project", "task", "note", "release",
    ]
    static let fieldKinds: [(type: String, dataType: String, interface: String)] = [
        ("string", "character varying", "input"), ("text", "text", "input-rich-text-html"),
        ("integer", "integer", "input"), ("boolean", "boolean", "boolean"),
        ("timestamp", "timestamp with time zone", "datetime"), ("json", "json", "input-code"),
        ("decimal", "numeric", "input"), ("uuid", "uuid", "input"),
    ]

    func collectionName(_ index: Int) -> String {
        "\(Self.words[index % Self.words.count])_\(index)"
    }

    mutating func snapshot() -> Snapshot {
        var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
        var collectionList: [JSONValue] = []
        var fieldList: [JSONValue] = []
        for index in 0..<collections {
            let name = collectionName(index)
            collectionList.append(collection(name, index: index))
            fieldList.append(field(name, "id", kind: ("integer", "integer", "input"), sort: 1, primary: true))
            for position in 1..<fieldsPerCollection {
                let kind = Self.fieldKinds[random.int(Self.fieldKinds.count)]
                fieldList.append(field(name, "field_\(position)", kind: kind, sort: position + 1, primary: false))
            }
        }
        var relationList: [JSONValue] = []
        for index in 0..<relations {
            let many = collectionName(index % collections)
            let one = collectionName((index * 7 + 3) % collections)
            let fieldName = "ref_\(index)"
            fieldList.append(
                field(many, fieldName, kind: ("integer", "integer", "select-dropdown-m2o"), sort: 900, primary: false))
            relationList.append([
                "collection": .string(many), "field": .string(fieldName), "related_collection": .string(one),
                "meta": [
                    "many_collection": .string(many), "many_field": .string(fieldName), "one_collection": .string(one),
                    "one_field": nil, "one_collection_field": nil, "one_allowed_collections": nil,
                    "junction_field": nil, "sort_field": nil, "one_deselect_action": "nullify",
                ],
                "schema": [
                    "table": .string(many), "column": .string(fieldName), "foreign_key_table": .string(one),
                    "foreign_key_column": "id", "constraint_name": .string("\(many)_\(fieldName)_foreign"),
                    "on_update": "NO ACTION", "on_delete": "SET NULL",
                ],
            ])
        }
        snapshot.collections = collectionList
        snapshot.fields = fieldList
        snapshot.relations = relationList
        return snapshot
    }

    mutating func collection(_ name: String, index: Int) -> JSONValue {
        [
            "collection": .string(name),
            "meta": [
                "accountability": "all", "archive_app_filter": true, "archive_field": "status",
                "archive_value": "archived", "collapse": "open", "collection": .string(name), "color": "#6644FF",
                "display_template": "{{field_1}}", "group": nil, "hidden": false, "icon": "folder",
                "item_duplication_fields": nil, "note": .string("Generated collection \(index)"),
                "preview_url": nil, "singleton": false, "sort": .number(JSONNumber(index)), "sort_field": nil,
                "translations": [
                    [
                        "language": "en-US", "translation": .string(name.capitalized), "singular": "Item",
                        "plural": "Items",
                    ],
                    [
                        "language": "de-DE", "translation": .string("\(name) (de)"), "singular": "Eintrag",
                        "plural": "Einträge",
                    ],
                ],
                "unarchive_value": "draft", "versioning": false,
            ],
            "schema": ["name": .string(name)],
        ]
    }

    mutating func field(
        _ collection: String, _ name: String, kind: (type: String, dataType: String, interface: String), sort: Int,
        primary: Bool
    ) -> JSONValue {
        let options: JSONValue =
            kind.interface == "select-dropdown-m2o"
            ? ["template": "{{id}}", "enableCreate": true]
            : random.chance(30) ? ["placeholder": .string("Enter \(name)"), "trim": true, "iconLeft": "edit"] : nil
        return [
            "collection": .string(collection), "field": .string(name), "type": .string(kind.type),
            "meta": [
                "collection": .string(collection), "conditions": nil, "display": nil, "display_options": nil,
                "field": .string(name), "group": nil, "hidden": .bool(primary), "interface": .string(kind.interface),
                "note": random.chance(20) ? .string("About \(name)") : nil, "options": options,
                "readonly": .bool(primary), "required": .bool(random.chance(10)), "searchable": true,
                "sort": .number(JSONNumber(sort)), "special": nil,
                "translations": random.chance(15)
                    ? [["language": "en-US", "translation": .string(name.replacingOccurrences(of: "_", with: " "))]]
                    : nil,
                "validation": nil, "validation_message": nil, "width": random.chance(50) ? "half" : "full",
            ],
            "schema": [
                "name": .string(name), "table": .string(collection), "data_type": .string(kind.dataType),
                "default_value": nil, "max_length": kind.type == "string" ? 255 : nil,
                "numeric_precision": kind.type == "integer" ? 32 : nil,
                "numeric_scale": kind.type == "integer" ? 0 : nil,
                "is_nullable": .bool(!primary), "is_unique": .bool(primary), "is_indexed": false,
                "is_primary_key": .bool(primary), "is_generated": false, "generation_expression": nil,
                "has_auto_increment": .bool(primary), "foreign_key_table": nil, "foreign_key_column": nil,
            ],
        ]
    }

    /// A copy with `changedPercent` of the fields edited (note, width, required), `deletedPercent` deleted and
    /// `addedPercent` added.
    mutating func mutated(
        _ snapshot: Snapshot, changedPercent: Int, deletedPercent: Int, addedPercent: Int, tag: Int
    ) -> Snapshot {
        var copy = snapshot
        var fields: [JSONValue] = []
        for entry in snapshot.fields {
            let roll = random.int(100)
            let isPrimary = entry["field"] == "id"
            if roll < deletedPercent && !isPrimary && entry["field"]?.stringValue?.hasPrefix("ref_") == false {
                continue
            }
            if roll < deletedPercent + changedPercent, var object = entry.objectValue,
                var meta = object["meta"]?.objectValue
            {
                meta["note"] = .string("Edited in revision \(tag)")
                meta["width"] = meta["width"] == "half" ? "full" : "half"
                object["meta"] = .object(meta)
                fields.append(.object(object))
            } else {
                fields.append(entry)
            }
        }
        let additions = snapshot.fields.count * addedPercent / 100
        for index in 0..<additions {
            let collection = collectionName(random.int(collections))
            fields.append(
                field(
                    collection, "added_\(tag)_\(index)", kind: Self.fieldKinds[index % Self.fieldKinds.count],
                    sort: 500 + index, primary: false))
        }
        copy.fields = fields
        return copy
    }

    /// A small edit, as a developer makes between two commits: a note, a new field, a width.
    mutating func nextRevision(_ snapshot: Snapshot, tag: Int) -> Snapshot {
        var copy = snapshot
        var fields = copy.fields
        switch tag % 3 {
        case 0:
            let collection = collectionName(random.int(collections))
            fields.append(
                field(
                    collection, "rev_\(tag)", kind: Self.fieldKinds[tag % Self.fieldKinds.count], sort: 700,
                    primary: false))
        default:
            let position = random.int(fields.count)
            if var object = fields[position].objectValue, var meta = object["meta"]?.objectValue {
                meta["note"] = .string("Revision \(tag) note")
                object["meta"] = .object(meta)
                fields[position] = .object(object)
            }
        }
        copy.fields = fields
        return copy
    }
}
