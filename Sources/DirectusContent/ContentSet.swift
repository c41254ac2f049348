import Crypto
import DirectusSchema

/// The reference data of an instance in canonical form: per collection, rows by identity key, each row's compared
/// fields sorted, references to other promoted rows written as the identity key of what they point at, audit
/// fields, secrets and user references gone. Two instances with the same reference data have the same
/// `contentHash`, whatever ids their rows have.
public struct ContentSet: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        /// The identity key (`FR`, or `FR / Paris` for several identity fields).
        public var key: String
        /// The primary key on the instance it was read from; nil for rows from history (ids are the instance's).
        public var id: JSONValue?
        /// The compared fields, keys sorted.
        public var fields: JSONObject
        /// Reference fields whose target is not among the promoted rows (the raw value is kept).
        public var unresolved: [String] = []

        public init(key: String, id: JSONValue? = nil, fields: JSONObject, unresolved: [String] = []) {
            self.key = key
            self.id = id
            self.fields = fields
            self.unresolved = unresolved
        }
    }

    public struct Collection: Sendable, Hashable {
        public var name: String
        public var rows: [String: Row]
        /// Identity keys several rows share, with how many: none of them is promoted until they differ.
        public var duplicates: [String: Int] = [:]
        /// Rows whose identity is null or missing: never promoted.
        public var withoutIdentity = 0

        public init(name: String, rows: [String: Row] = [:]) {
            self.name = name
            self.rows = rows
        }

        /// The rows by key order.
        public var sortedRows: [Row] { rows.keys.sorted(by: jsStringLess).map { rows[$0]! } }
    }

    public var collections: [String: Collection]

    public init(collections: [String: Collection] = [:]) { self.collections = collections }

    public var rowCount: Int { collections.values.reduce(0) { $0 + $1.rows.count } }

    /// `{"format":1,"collections":{name:{key:fields}}}`, keys sorted, compact: what is hashed and stored.
    public var canonicalJSON: [UInt8] { JSONWriter.canonical.bytes(canonicalValue()) }

    func canonicalValue() -> JSONValue {
        var named = JSONObject()
        for name in collections.keys.sorted(by: jsStringLess) {
            var rows = JSONObject()
            for row in collections[name]!.sortedRows { rows[row.key] = .object(row.fields) }
            named[name] = .object(rows)
        }
        var root = JSONObject()
        root["format"] = 1
        root["collections"] = .object(named)
        return .object(root)
    }

    /// SHA-256 of `canonicalJSON`, in hex.
    public var contentHash: String {
        SHA256.hash(data: canonicalJSON).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    /// The identity key of a row: its identity values, a string as itself, anything else as its JSON text, several
    /// joined by ` / `; nil when one of them is null or missing.
    public static func key(of row: JSONObject, identity: [String]) -> String? {
        var parts: [String] = []
        for field in identity {
            guard let value = row[field], !value.isNull else { return nil }
            parts.append(value.stringValue ?? JSONWriter.canonical.string(value))
        }
        return parts.isEmpty ? nil : parts.joined(separator: " / ")
    }
}

extension ContentSet {
    /// What history stores: the canonical rows (what `contentHash` covers), the duplicates and rows without an
    /// identity beside them.
    public var storedJSON: [UInt8] {
        guard case .object(var root) = canonicalValue() else { return [] }
        var notes = JSONObject()
        for name in collections.keys.sorted(by: jsStringLess) {
            let collection = collections[name]!
            guard !collection.duplicates.isEmpty || collection.withoutIdentity > 0 else { continue }
            notes[name] = [
                "duplicates": .object(
                    JSONObject(
                        collection.duplicates.sorted { $0.key < $1.key }.map { ($0.key, .number(JSONNumber($0.value))) }
                    )),
                "without_identity": .number(JSONNumber(collection.withoutIdentity)),
            ]
        }
        root["notes"] = .object(notes)
        return JSONWriter.canonical.bytes(.object(root))
    }

    /// Reads `storedJSON` back.
    public init(stored bytes: [UInt8]) throws(ContentError) {
        guard let root = try? JSONParser.parse(bytes), root["format"]?.numberValue?.intValue == 1,
            let named = root["collections"]?.objectValue
        else { throw ContentError(collection: "(history)", reason: "a stored content set has an unknown format") }
        var collections: [String: Collection] = [:]
        for (name, rows) in named {
            var collection = Collection(name: name)
            for (key, fields) in rows.objectValue ?? JSONObject() {
                collection.rows[key] = Row(key: key, fields: fields.objectValue ?? JSONObject())
            }
            if let note = root["notes"]?[name] {
                for (key, count) in note["duplicates"]?.objectValue ?? JSONObject() {
                    collection.duplicates[key] = count.numberValue?.intValue ?? 2
                }
                collection.withoutIdentity = note["without_identity"]?.numberValue?.intValue ?? 0
            }
            collections[name] = collection
        }
        self.init(collections: collections)
    }
}
