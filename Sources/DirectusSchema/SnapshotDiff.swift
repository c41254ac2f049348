/// The diff Directus computes between two snapshots (`POST /schema/diff` → `data.diff`).
public struct SnapshotDiff: Sendable, Hashable {
    /// One entity's records. The identity values are kept as JSON because Directus copies them as they are
    /// (`nil` means the key is absent and is left out of the JSON).
    public struct Entry: Sendable, Hashable {
        public var collection: JSONValue?
        public var field: JSONValue?
        /// Relations only: `.some(nil)` is never used; `nil` means absent, `.null` means `null`.
        public var relatedCollection: JSONValue?
        public var diff: [DiffRecord]

        public init(
            collection: JSONValue?, field: JSONValue? = nil, relatedCollection: JSONValue? = nil,
            diff: [DiffRecord]
        ) {
            self.collection = collection
            self.field = field
            self.relatedCollection = relatedCollection
            self.diff = diff
        }

        /// The collection name as text (empty when absent or not a string).
        public var collectionName: String { collection?.stringValue ?? collection?.jsonString ?? "" }

        /// The field name as text (empty when absent or not a string).
        public var fieldName: String { field?.stringValue ?? field?.jsonString ?? "" }

        /// The first record's kind, which decides what Directus does with the entry.
        public var firstKind: DiffRecord.Kind? { diff.first?.kind }
    }

    public var collections: [Entry]
    public var fields: [Entry]
    public var systemFields: [Entry]
    public var relations: [Entry]

    public init(
        collections: [Entry] = [], fields: [Entry] = [], systemFields: [Entry] = [], relations: [Entry] = []
    ) {
        self.collections = collections
        self.fields = fields
        self.systemFields = systemFields
        self.relations = relations
    }

    /// True when Directus would answer 204: nothing to change.
    public var isEmpty: Bool {
        collections.isEmpty && fields.isEmpty && systemFields.isEmpty && relations.isEmpty
    }

    /// Every entry with the list it belongs to.
    public var allEntries: [(list: EntityKind, entry: Entry)] {
        collections.map { (.collection, $0) } + fields.map { (.field, $0) }
            + systemFields.map { (.systemField, $0) } + relations.map { (.relation, $0) }
    }
}

/// The four entity lists of a snapshot and its diff.
public enum EntityKind: String, Sendable, Hashable, CaseIterable {
    case collection
    case field
    case systemField
    case relation

    /// The list's key in snapshots and diffs.
    public var listKey: String {
        switch self {
        case .collection: "collections"
        case .field: "fields"
        case .systemField: "systemFields"
        case .relation: "relations"
        }
    }
}

// MARK: - JSON

extension SnapshotDiff.Entry {
    func json(kind: EntityKind) -> JSONValue {
        var object = JSONObject()
        if let collection { object["collection"] = collection }
        if kind != .collection, let field { object["field"] = field }
        if kind == .relation, let relatedCollection { object["related_collection"] = relatedCollection }
        object["diff"] = .array(diff.map(\.json))
        return .object(object)
    }
}

extension SnapshotDiff {
    /// The diff as Directus sends it. `includeSystemFields` is false for servers before 11.13, which have no
    /// `systemFields` list.
    public func json(includeSystemFields: Bool = true) -> JSONValue {
        var object = JSONObject()
        object["collections"] = .array(collections.map { $0.json(kind: .collection) })
        object["fields"] = .array(fields.map { $0.json(kind: .field) })
        if includeSystemFields {
            object["systemFields"] = .array(systemFields.map { $0.json(kind: .systemField) })
        }
        object["relations"] = .array(relations.map { $0.json(kind: .relation) })
        return .object(object)
    }

    /// Why a JSON value is not a diff.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads a diff from its JSON form. Missing lists read as empty (check the shape first with
    /// `DirectusValidation` when Directus's exact messages matter).
    public init(json: JSONValue) throws(DecodingError) {
        guard case .object(let object) = json else {
            throw DecodingError(message: "a diff must be an object, found \(json.typeName)")
        }
        func entries(_ kind: EntityKind) throws(DecodingError) -> [Entry] {
            guard let list = object[kind.listKey] else { return [] }
            guard case .array(let items) = list else {
                throw DecodingError(message: "diff.\(kind.listKey) must be an array")
            }
            var result: [Entry] = []
            for (index, item) in items.enumerated() {
                guard case .object(let entry) = item else {
                    throw DecodingError(message: "diff.\(kind.listKey)[\(index)] must be an object")
                }
                guard case .array(let records)? = entry["diff"] else {
                    throw DecodingError(message: "diff.\(kind.listKey)[\(index)].diff must be an array")
                }
                var decoded: [DiffRecord] = []
                for record in records {
                    do {
                        decoded.append(try DiffRecord(json: record))
                    } catch {
                        throw DecodingError(message: "diff.\(kind.listKey)[\(index)]: \(error.message)")
                    }
                }
                result.append(
                    Entry(
                        collection: entry["collection"], field: entry["field"],
                        relatedCollection: entry["related_collection"], diff: decoded))
            }
            return result
        }
        self.init(
            collections: try entries(.collection), fields: try entries(.field),
            systemFields: try entries(.systemField), relations: try entries(.relation))
    }
}
