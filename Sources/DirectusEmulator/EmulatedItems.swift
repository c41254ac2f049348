import DirectusSchema
import Foundation

/// The rows of an emulated instance's user collections, checked as the database and Directus's items service check
/// them: a required field left null (`NOT_NULL_VIOLATION`), a duplicate in a unique column (`RECORD_NOT_UNIQUE`), a
/// reference to a row that does not exist (`INVALID_FOREIGN_KEY`), a string over its column's length
/// (`VALUE_TOO_LONG`). Fields the collection does not have are ignored, as `ItemsService` picks the payload's
/// columns. Rows are held in memory (and persisted with the schema by `--persist`).
struct EmulatedItems: Sendable {
    var rows: [String: [JSONObject]] = [:]
    /// The last integer key given per collection (auto-increment sequences).
    var sequences: [String: Int] = [:]

    /// What the schema says about a collection's columns.
    struct Table {
        struct Column {
            var name: String
            var nullable: Bool
            var hasDefault: Bool
            var unique: Bool
            var maxLength: Int?
            var references: String?
        }

        var name: String
        var primaryKey: String
        var autoIncrement: Bool
        var generatesUUID: Bool
        var columns: [Column]

        init?(_ collection: String, in snapshot: Snapshot) {
            guard
                snapshot.collections.contains(where: {
                    $0["collection"]?.stringValue == collection && ($0["schema"].map { !$0.isNull } ?? false)
                })
            else { return nil }
            var primaryKey: String?
            var autoIncrement = false
            var generatesUUID = false
            var columns: [Column] = []
            for field in snapshot.fields where field["collection"]?.stringValue == collection {
                guard let name = field["field"]?.stringValue, let schema = field["schema"]?.objectValue else {
                    continue
                }
                let special = field["meta"]?["special"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if schema["is_primary_key"]?.boolValue == true {
                    primaryKey = name
                    autoIncrement = schema["has_auto_increment"]?.boolValue == true
                    generatesUUID = special.contains("uuid")
                }
                columns.append(
                    Column(
                        name: name, nullable: schema["is_nullable"]?.boolValue ?? true,
                        hasDefault: !(schema["default_value"]?.isNull ?? true)
                            || schema["has_auto_increment"]?.boolValue == true,
                        unique: schema["is_unique"]?.boolValue == true,
                        maxLength: schema["max_length"]?.numberValue?.intValue,
                        references: schema["foreign_key_table"]?.stringValue))
            }
            guard let primaryKey else { return nil }
            self.name = collection
            self.primaryKey = primaryKey
            self.autoIncrement = autoIncrement
            self.generatesUUID = generatesUUID
            self.columns = columns
        }
    }

    /// A primary key as text (`1` and `"1"` name the same row).
    static func keyText(_ value: JSONValue) -> String { value.stringValue ?? JSONWriter.canonical.string(value) }

    func index(of key: JSONValue, in table: Table) -> Int? {
        let text = Self.keyText(key)
        return rows[table.name]?.firstIndex { $0[table.primaryKey].map(Self.keyText) == text }
    }

    /// Creates or updates (when it carries the key of an existing row) one row, as `upsertOne` does.
    mutating func upsert(_ item: JSONValue, in table: Table, snapshot: Snapshot) throws -> JSONValue {
        guard let payload = item.objectValue else {
            throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
        }
        if let key = payload[table.primaryKey], !key.isNull, index(of: key, in: table) != nil {
            return try update(key: key, payload, in: table, snapshot: snapshot)
        }
        return try create(payload, in: table, snapshot: snapshot)
    }

    /// Creates a row; returns its primary key.
    mutating func create(_ payload: JSONObject, in table: Table, snapshot: Snapshot) throws -> JSONValue {
        var row = JSONObject()
        for column in table.columns {
            if let value = payload[column.name] { row[column.name] = value }
        }
        if row[table.primaryKey] == nil || row[table.primaryKey] == .null {
            if table.autoIncrement {
                let next = (sequences[table.name] ?? 0) + 1
                row[table.primaryKey] = .number(JSONNumber(next))
            } else if table.generatesUUID {
                row[table.primaryKey] = .string(UUID().uuidString.lowercased())
            }
        }
        for column in table.columns where !row.contains(key: column.name) {
            row[column.name] = .null
        }
        try check(row, in: table, snapshot: snapshot, replacing: nil)
        if table.autoIncrement, let number = row[table.primaryKey]?.numberValue?.intValue {
            sequences[table.name] = max(sequences[table.name] ?? 0, number)
        }
        rows[table.name, default: []].append(row)
        return row[table.primaryKey] ?? .null
    }

    /// Updates the fields `payload` names of an existing row; returns its primary key.
    mutating func update(
        key: JSONValue, _ payload: JSONObject, in table: Table, snapshot: Snapshot
    ) throws
        -> JSONValue
    {
        guard let position = index(of: key, in: table) else { throw DirectusErrorResponse.forbidden }
        var row = rows[table.name]![position]
        for column in table.columns where column.name != table.primaryKey {
            if let value = payload[column.name] { row[column.name] = value }
        }
        try check(row, in: table, snapshot: snapshot, replacing: position)
        rows[table.name]![position] = row
        return row[table.primaryKey] ?? key
    }

    /// Deletes a row; references to it follow the relation's `on_delete`: set to null (SET NULL, Directus's default
    /// for a many-to-one), deleted with it (CASCADE, one level), or the deletion refused (NO ACTION, RESTRICT).
    mutating func delete(key: JSONValue, in table: Table, snapshot: Snapshot) throws {
        guard index(of: key, in: table) != nil else { throw DirectusErrorResponse.forbidden }
        let text = Self.keyText(key)
        for relation in snapshot.relations where relation["related_collection"]?.stringValue == table.name {
            guard let many = relation["collection"]?.stringValue, let field = relation["field"]?.stringValue,
                var referring = rows[many]
            else { continue }
            let onDelete = relation["schema"]?["on_delete"]?.stringValue ?? "SET NULL"
            let matches = referring.indices.filter { referring[$0][field].map(Self.keyText) == text }
            guard !matches.isEmpty else { continue }
            switch onDelete {
            case "CASCADE":
                for index in matches.reversed() { referring.remove(at: index) }
            case "SET NULL", "SET DEFAULT":
                for index in matches { referring[index][field] = .null }
            default:
                throw Self.invalidForeignKey(field: field, collection: many, key: text)
            }
            rows[many] = referring
        }
        // A cascade within the collection may have moved the row.
        if let position = index(of: key, in: table) { rows[table.name]!.remove(at: position) }
    }

    /// The constraints a database checks on a written row.
    func check(_ row: JSONObject, in table: Table, snapshot: Snapshot, replacing position: Int?) throws {
        let others = (rows[table.name] ?? []).enumerated().filter { $0.offset != position }.map(\.element)
        for column in table.columns {
            let value = row[column.name] ?? .null
            if value.isNull {
                if !column.nullable && !(column.hasDefault && position == nil && column.name == table.primaryKey) {
                    throw DirectusErrorResponse(
                        status: 400, code: "NOT_NULL_VIOLATION",
                        message: "Value for field \"\(column.name)\" in collection \"\(table.name)\" can't be null.",
                        extensions: [("collection", .string(table.name)), ("field", .string(column.name))])
                }
                continue
            }
            if let maxLength = column.maxLength, let text = value.stringValue, text.count > maxLength {
                throw DirectusErrorResponse(
                    status: 400, code: "VALUE_TOO_LONG",
                    message: "Value for field \"\(column.name)\" in collection \"\(table.name)\" is too long.",
                    extensions: [("collection", .string(table.name)), ("field", .string(column.name))])
            }
            if column.unique || column.name == table.primaryKey {
                let text = Self.keyText(value)
                if others.contains(where: { $0[column.name].map(Self.keyText) == text }) {
                    throw DirectusErrorResponse(
                        status: 400, code: "RECORD_NOT_UNIQUE",
                        message:
                            "Value \"\(text)\" for field \"\(column.name)\" in collection \"\(table.name)\" has to be unique.",
                        extensions: [
                            ("collection", .string(table.name)), ("field", .string(column.name)),
                            ("value", .string(text)),
                        ])
                }
            }
            if let related = column.references, let relatedTable = Table(related, in: snapshot) {
                let exists =
                    related == table.name
                    ? (others + [row]).contains { $0[table.primaryKey].map(Self.keyText) == Self.keyText(value) }
                    : index(of: value, in: relatedTable) != nil
                if !exists {
                    throw Self.invalidForeignKey(field: column.name, collection: table.name, key: Self.keyText(value))
                }
            }
        }
    }

    static func invalidForeignKey(field: String, collection: String, key: String) -> DirectusErrorResponse {
        DirectusErrorResponse(
            status: 400, code: "INVALID_FOREIGN_KEY",
            message: "Invalid foreign key \"\(key)\" for field \"\(field)\" in collection \"\(collection)\".",
            extensions: [("collection", .string(collection)), ("field", .string(field)), ("key", .string(key))])
    }

    /// The rows of a collection as `GET /items` returns them: the schema's columns only, in the schema's order.
    func read(_ table: Table) -> [JSONObject] {
        (rows[table.name] ?? []).map { row in
            var shown = JSONObject()
            for column in table.columns { shown[column.name] = row[column.name] ?? .null }
            return shown
        }
    }

    /// Forgets the rows of collections the schema no longer has (a collection deleted by an apply takes its table).
    mutating func prune(to snapshot: Snapshot) {
        for name in rows.keys where Table(name, in: snapshot) == nil {
            rows.removeValue(forKey: name)
            sequences.removeValue(forKey: name)
        }
    }

    // MARK: Persistence

    var stored: JSONValue {
        var named = JSONObject()
        for name in rows.keys.sorted() { named[name] = .array(rows[name]!.map(JSONValue.object)) }
        var counters = JSONObject()
        for name in sequences.keys.sorted() { counters[name] = .number(JSONNumber(sequences[name]!)) }
        return ["rows": .object(named), "sequences": .object(counters)]
    }

    init() {}

    init(stored value: JSONValue) {
        for (name, list) in value["rows"]?.objectValue ?? JSONObject() {
            rows[name] = list.arrayValue?.compactMap(\.objectValue) ?? []
        }
        for (name, counter) in value["sequences"]?.objectValue ?? JSONObject() {
            sequences[name] = counter.numberValue?.intValue ?? 0
        }
    }
}
