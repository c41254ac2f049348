/// Directus 11.13–11.17's `applyDiff`, played on a snapshot instead of a database: the snapshot Directus
/// would report after applying `diff` to an instance whose schema is `current`.
///
/// The order is Directus's: create collections (top level first, then the ones grouped under them), delete
/// collections (with every relation touching them), update collections, then fields in diff order (create,
/// update, delete), system fields, relations. Directus decides by each entry's *first* record, and this model
/// keeps its quirks: a collection whose first record removes a property (`D` with a path) is deleted; a field
/// whose first record adds a property outside `meta` is created again (and fails, as it exists).
///
/// From 12.4 (#27880, `judgesEntitiesAtRoot`) only a root-level first `N` creates and a root-level first `D`
/// deletes; any other entry updates the current entity (collections, fields and relations alike).
public enum SnapshotApplier {
    /// What the target instance is like, where its answer depends on it.
    public struct Options: Sendable {
        /// The database vendor (`postgres` turns char(36) keys of new collections into native uuids).
        public var vendor: String?
        /// Leave out entities without Directus metadata (`meta: null`), as 11.10+ snapshots do.
        public var excludesDatabaseOnlyEntities: Bool
        /// Skip an operation Directus's services would refuse and go on, instead of stopping. Only for replaying
        /// recorded apply decisions, which record whether Directus goes ahead, not what its database step does.
        public var skipsRefusedOperations: Bool
        /// 12.4+ (#27880): entities are created and deleted by root-level records only.
        public var judgesEntitiesAtRoot: Bool

        public init(
            vendor: String? = nil, excludesDatabaseOnlyEntities: Bool = false, skipsRefusedOperations: Bool = false,
            judgesEntitiesAtRoot: Bool = false
        ) {
            self.vendor = vendor
            self.excludesDatabaseOnlyEntities = excludesDatabaseOnlyEntities
            self.skipsRefusedOperations = skipsRefusedOperations
            self.judgesEntitiesAtRoot = judgesEntitiesAtRoot
        }

        /// The options of a server of `version` with `vendor`.
        public init(version: DirectusVersion, vendor: String?) {
            self.init(
                vendor: vendor, excludesDatabaseOnlyEntities: version.excludesDatabaseOnlyEntities,
                judgesEntitiesAtRoot: version.judgesEntitiesAtRoot)
        }
    }

    /// Why Directus's apply stops, naming the collection and field it was working on.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The step Directus was in.
        public enum Step: String, Sendable {
            case createCollection = "create collection"
            case deleteCollection = "delete collection"
            case updateCollection = "update collection"
            case createField = "create field"
            case updateField = "update field"
            case deleteField = "delete field"
            case updateSystemField = "update system field"
            case createRelation = "create relation"
            case updateRelation = "update relation"
            case deleteRelation = "delete relation"
        }

        public var step: Step
        public var collection: String
        public var field: String?
        /// Directus's own reason text.
        public var reason: String
        /// Whether Directus answers 403 FORBIDDEN (a missing item) rather than 400 INVALID_PAYLOAD.
        public var isForbidden: Bool
        /// Whether the failure is not one of Directus's own errors but a crash inside it, which it answers with 500
        /// INTERNAL_SERVER_ERROR ("An unexpected error occurred.").
        public var isInternal = false

        public var description: String {
            let target = field.map { "\(collection).\($0)" } ?? collection
            return "failed to \(step.rawValue) \"\(target)\": \(reason)"
        }
    }

    /// The snapshot after applying `diff` to `current`.
    public static func apply(
        _ diff: SnapshotDiff, to current: Snapshot, options: Options = Options()
    ) throws(Failure)
        -> Snapshot
    {
        var run = Run(current: current, diff: diff, options: options)
        try run.perform()
        return run.result()
    }
}

// MARK: - The run

private struct Run {
    let current: Snapshot
    var diff: SnapshotDiff
    let options: SnapshotApplier.Options

    var collections: [JSONValue]
    var fields: [JSONValue]

    // Indexes, so that large diffs apply in linear time.
    typealias Key = [IdentityIndex.Atom]
    /// Collections present now.
    var collectionKeys: Set<IdentityIndex.Atom> = []
    /// Field positions by (collection, field); rebuilt after removals.
    var fieldPositions: [Key: Int] = [:]
    var fieldPositionsValid = true
    /// Field diff entries by collection, and the collections whose field entries a creation consumed.
    var fieldEntriesByCollection: [IdentityIndex.Atom: [Int]] = [:]
    var consumedFieldCollections: Set<IdentityIndex.Atom> = []
    /// Collection entries whose first record's `rhs.meta.group` names a collection, by that group.
    var entriesByGroup: [IdentityIndex.Atom: [SnapshotDiff.Entry]] = [:]

    static func atom(_ value: JSONValue?) -> IdentityIndex.Atom? { IdentityIndex.Atom(value) }
    var systemFields: [JSONValue]
    var relations: [JSONValue]

    init(current: Snapshot, diff: SnapshotDiff, options: SnapshotApplier.Options) {
        self.current = current
        self.diff = diff
        self.options = options
        collections = current.collections
        fields = current.fields
        systemFields = current.systemFields
        relations = current.relations
        for item in collections {
            if let atom = Self.atom(item["collection"]) { collectionKeys.insert(atom) }
        }
        rebuildFieldPositions()
        for (index, entry) in diff.fields.enumerated() {
            if let atom = Self.atom(entry.collection) { fieldEntriesByCollection[atom, default: []].append(index) }
        }
        for entry in diff.collections {
            guard case .new(_, let rhs)? = entry.diff.first, let group = rhs["meta"]?["group"],
                let atom = Self.atom(group), atom != .absent
            else { continue }
            entriesByGroup[atom, default: []].append(entry)
        }
    }

    mutating func rebuildFieldPositions() {
        fieldPositions = [:]
        for (position, item) in fields.enumerated() {
            guard let c = Self.atom(item["collection"]), let f = Self.atom(item["field"]) else { continue }
            if fieldPositions[[c, f]] == nil { fieldPositions[[c, f]] = position }
        }
        fieldPositionsValid = true
    }

    func collectionExists(_ value: JSONValue?) -> Bool {
        guard let atom = Self.atom(value) else { return false }
        return collectionKeys.contains(atom)
    }

    mutating func appendField(_ value: JSONValue) {
        if fieldPositionsValid, let c = Self.atom(value["collection"]), let f = Self.atom(value["field"]),
            fieldPositions[[c, f]] == nil
        {
            fieldPositions[[c, f]] = fields.count
        }
        fields.append(value)
    }

    mutating func removeFields(where predicate: (JSONValue) -> Bool) {
        fields.removeAll(where: predicate)
        fieldPositionsValid = false
    }

    typealias Failure = SnapshotApplier.Failure

    /// What Directus does with an entry: create, delete or update the entity (12.4+ judges by root-level records;
    /// before, by the first record's kind, as each step below spells out).
    enum Operation { case create, delete, update }

    func operationAtRoot(_ entry: SnapshotDiff.Entry) -> Operation {
        guard let first = entry.diff.first, first.isRoot else { return .update }
        switch first.kind {
        case .new: return .create
        case .deleted: return .delete
        default: return .update
        }
    }

    mutating func perform() throws(Failure) {
        try createCollections(diff.collections.filter(isTopLevelCreation))
        try deleteCollections()
        try updateCollections()
        try applyFields()
        applySystemFields()
        try applyRelations()
    }

    // MARK: Collections

    private func createsCollection(_ entry: SnapshotDiff.Entry) -> Bool {
        options.judgesEntitiesAtRoot ? operationAtRoot(entry) == .create : entry.firstKind == .new
    }

    private func deletesCollection(_ entry: SnapshotDiff.Entry) -> Bool {
        options.judgesEntitiesAtRoot ? operationAtRoot(entry) == .delete : entry.firstKind == .deleted
    }

    private func isTopLevelCreation(_ entry: SnapshotDiff.Entry) -> Bool {
        guard createsCollection(entry), case .new(_, let rhs)? = entry.diff.first else { return false }
        guard let group = rhs["meta"]?["group"], group.isTruthy else { return true }
        let parentExists = current.collections.contains { jsStrictEquals($0["collection"], group) }
        let parentIsCreated = diff.collections.contains {
            createsCollection($0) && jsStrictEquals($0.collection, group)
        }
        return parentExists && !parentIsCreated
    }

    /// Runs one operation; a refusal stops the run unless refused operations are skipped.
    private mutating func attempt(_ operation: (inout Run) throws(Failure) -> Void) throws(Failure) {
        do {
            try operation(&self)
        } catch {
            // Passed over when replaying recorded decisions (`skipsRefusedOperations`).
            if !options.skipsRefusedOperations { throw error }
        }
    }

    private mutating func createCollections(_ entries: [SnapshotDiff.Entry]) throws(Failure) {
        for entry in entries {
            try attempt { run throws(Failure) in try run.createCollection(entry) }
        }
    }

    private mutating func createCollection(_ entry: SnapshotDiff.Entry) throws(Failure) {
        do {
            guard case .new(let path, let rhs)? = entry.diff.first, rhs.isTruthy else { return }
            let name = entry.collectionName
            if name.hasPrefix("directus_") {
                throw Failure(
                    step: .createCollection, collection: name, field: nil,
                    reason: "Collections can't start with \"directus_\"", isForbidden: false)
            }
            if !path.isEmpty {
                // Directus spreads the record's value into a payload that has no collection name.
                throw Failure(
                    step: .createCollection, collection: name, field: nil, reason: "\"collection\" is required",
                    isForbidden: false)
            }
            if collectionExists(entry.collection) {
                throw Failure(
                    step: .createCollection, collection: name, field: nil,
                    reason: "Collection \"\(name)\" already exists", isForbidden: false)
            }
            let collectionAtom = Self.atom(entry.collection)
            let pendingIndexes =
                collectionAtom.flatMap { consumedFieldCollections.contains($0) ? nil : fieldEntriesByCollection[$0] }
                ?? []
            let newFields = pendingIndexes.map { diff.fields[$0] }
                .compactMap { fieldEntry -> JSONValue? in
                    switch fieldEntry.diff.first {
                    case .new(_, let rhs)?, .edited(_, _, let rhs)?: castUUID(rhs)
                    default: nil
                    }
                }
            collections.append(entityShape(rhs, kind: .collection))
            if let collectionAtom { collectionKeys.insert(collectionAtom) }
            for field in newFields { appendField(entityShape(field, kind: .field)) }
            if let collectionAtom { consumedFieldCollections.insert(collectionAtom) }
            try createCollections(collectionAtom.flatMap { entriesByGroup[$0] } ?? [])
        }
    }

    /// Directus recasts char/varchar(36) keys of new collections to uuid (native on PostgreSQL).
    private func castUUID(_ field: JSONValue) -> JSONValue {
        guard case .object(var object) = field, case .object(var schema)? = object["schema"] else { return field }
        let dataType = (schema["data_type"]?.stringValue ?? schema["data_type"]?.jsonString ?? "").lowercased()
        let isKey =
            (schema["is_primary_key"]?.isTruthy ?? false)
            || ((schema["foreign_key_table"]?.isTruthy ?? false) && (schema["foreign_key_column"]?.isTruthy ?? false))
        guard ["char", "varchar"].contains(dataType), schema["max_length"]?.numberValue?.doubleValue == 36, isKey
        else { return field }
        // The cast exists for non-PostgreSQL snapshots applied to PostgreSQL; elsewhere the column stays char(36).
        guard options.vendor == "postgres" else { return field }
        object["type"] = "uuid"
        schema["data_type"] = "uuid"
        schema["max_length"] = .null
        object["schema"] = .object(schema)
        return .object(object)
    }

    private mutating func deleteCollections() throws(Failure) {
        for entry in diff.collections where deletesCollection(entry) {
            try attempt { run throws(Failure) in try run.deleteCollection(entry) }
        }
    }

    private mutating func deleteCollection(_ entry: SnapshotDiff.Entry) throws(Failure) {
        do {
            let name = entry.collectionName
            guard collectionExists(entry.collection) else {
                throw Failure(
                    step: .deleteCollection, collection: name, field: nil,
                    reason: "You don't have permission to access this.", isForbidden: true)
            }
            relations.removeAll {
                jsStrictEquals($0["collection"], entry.collection)
                    || jsStrictEquals($0["related_collection"], entry.collection)
            }
            collections.removeAll { jsStrictEquals($0["collection"], entry.collection) }
            if let atom = Self.atom(entry.collection) { collectionKeys.remove(atom) }
            removeFields { jsStrictEquals($0["collection"], entry.collection) }
        }
    }

    private mutating func updateCollections() throws(Failure) {
        let updates = diff.collections.filter { entry in
            options.judgesEntitiesAtRoot
                ? operationAtRoot(entry) == .update : entry.firstKind == .edited || entry.firstKind == .array
        }
        for entry in updates {
            try attempt { run throws(Failure) in try run.updateCollection(entry) }
        }
    }

    private mutating func updateCollection(_ entry: SnapshotDiff.Entry) throws(Failure) {
        do {
            guard
                let original = current.collections.first(where: { jsStrictEquals($0["collection"], entry.collection) })
            else { return }
            let updated = entry.diff.reduce(original) { $0.applying($1) }
            guard let position = collections.firstIndex(where: { jsStrictEquals($0["collection"], entry.collection) })
            else {
                throw Failure(
                    step: .updateCollection, collection: entry.collectionName, field: nil,
                    reason: "You don't have permission to access this.", isForbidden: true)
            }
            // Only the collection's metadata can be updated; its table keeps its name.
            var stored = collections[position].objectValue ?? JSONObject()
            if let meta = updated["meta"] { stored["meta"] = meta }
            collections[position] = .object(stored)
        }
    }

    // MARK: Fields

    private static func isNestedMetaUpdate(_ record: DiffRecord?) -> Bool {
        guard let record, record.kind == .new || record.kind == .deleted else { return false }
        return record.path.count >= 2 && record.path[0] == .key("meta")
    }

    private mutating func fieldPosition(_ entry: SnapshotDiff.Entry) -> Int? {
        guard let c = Self.atom(entry.collection), let f = Self.atom(entry.field) else { return nil }
        if !fieldPositionsValid { rebuildFieldPositions() }
        return fieldPositions[[c, f]]
    }

    private mutating func applyFields() throws(Failure) {
        for entry in diff.fields {
            // Fields of collections created above were created with them.
            if let atom = Self.atom(entry.collection), consumedFieldCollections.contains(atom) { continue }
            try attempt { run throws(Failure) in try run.applyField(entry) }
        }
    }

    private mutating func applyField(_ entry: SnapshotDiff.Entry) throws(Failure) {
        if options.judgesEntitiesAtRoot {
            switch operationAtRoot(entry) {
            case .create:
                if case .new(_, let rhs)? = entry.diff.first { try createField(entry, rhs) }
            case .delete: try deleteField(entry)
            case .update: try updateField(entry)
            }
            return
        }
        do {
            let first = entry.diff.first
            let nestedMeta = Self.isNestedMetaUpdate(first)
            if case .new(let path, let rhs)? = first, !nestedMeta {
                if !path.isEmpty && rhs["field"]?.stringValue == nil {
                    // Directus hands the record's value to createField as if it were a field: its lookup of
                    // directus_fields with an undefined field name makes knex throw, and the apply answers 500.
                    throw Failure(
                        step: .createField, collection: entry.collectionName, field: nil,
                        reason: "Undefined binding(s) detected when compiling FIRST. Undefined column(s): [field]",
                        isForbidden: false, isInternal: true)
                }
                try createField(entry, rhs)
            }
            if first?.kind == .edited || first?.kind == .array || nestedMeta {
                try updateField(entry)
            }
            if first?.kind == .deleted && !nestedMeta {
                try deleteField(entry)
            }
        }
    }

    private mutating func createField(_ entry: SnapshotDiff.Entry, _ rhs: JSONValue) throws(Failure) {
        let isSystem = entry.collection?.stringValue.map(SnapshotConsistency.isSystemCollection) ?? false
        guard isSystem || collectionExists(entry.collection) else {
            throw Failure(
                step: .createField, collection: entry.collectionName, field: entry.fieldName,
                reason: "You don't have permission to access this.", isForbidden: true)
        }
        if fieldPosition(entry) != nil {
            throw Failure(
                step: .createField, collection: entry.collectionName, field: entry.fieldName,
                reason: "Field \"\(entry.fieldName)\" already exists in collection \"\(entry.collectionName)\"",
                isForbidden: false)
        }
        var field = rhs.objectValue ?? JSONObject()
        field["collection"] = entry.collection
        appendField(entityShape(.object(field), kind: .field))
    }

    /// The entity of `list` that `entry` names (collection and field) as it was, with the entry's records replayed
    /// on it: what Directus hands to an update. `nil` when the current schema has no such entity (nothing is done).
    private static func replayed(_ entry: SnapshotDiff.Entry, on list: [JSONValue]) -> JSONValue? {
        guard
            let original = list.first(where: {
                jsStrictEquals($0["collection"], entry.collection) && jsStrictEquals($0["field"], entry.field)
            })
        else { return nil }
        return entry.diff.reduce(original) { $0.applying($1) }
    }

    private mutating func updateField(_ entry: SnapshotDiff.Entry) throws(Failure) {
        guard let updated = Self.replayed(entry, on: current.fields) else { return }
        guard let position = fieldPosition(entry) else {
            throw Failure(
                step: .updateField, collection: entry.collectionName, field: entry.fieldName,
                reason: "You don't have permission to access this.", isForbidden: true)
        }
        fields[position] = entityShape(updated, kind: .field)
    }

    private mutating func deleteField(_ entry: SnapshotDiff.Entry) throws(Failure) {
        guard let position = fieldPosition(entry) else {
            throw Failure(
                step: .deleteField, collection: entry.collectionName, field: entry.fieldName,
                reason: "You don't have permission to access this.", isForbidden: true)
        }
        fields.remove(at: position)
        fieldPositionsValid = false
        // Deleting a field deletes its relation and clears the one_field of relations that pointed at it.
        relations.removeAll {
            jsStrictEquals($0["collection"], entry.collection) && jsStrictEquals($0["field"], entry.field)
        }
        for index in relations.indices {
            guard jsStrictEquals(relations[index]["related_collection"], entry.collection),
                jsStrictEquals(relations[index]["meta"]?["one_field"], entry.field),
                case .object(var relation) = relations[index], case .object(var meta)? = relation["meta"]
            else { continue }
            meta["one_field"] = .null
            relation["meta"] = .object(meta)
            relations[index] = .object(relation)
        }
        diff.relations.removeAll {
            jsStrictEquals($0.collection, entry.collection) && jsStrictEquals($0.field, entry.field)
                && !$0.diff.contains { $0.kind == .new }
        }
    }

    // MARK: System fields

    private mutating func applySystemFields() {
        for entry in diff.systemFields where entry.firstKind == .edited {
            var seed = JSONObject()
            if let collection = entry.collection { seed["collection"] = collection }
            if let field = entry.field { seed["field"] = field }
            let updated = entry.diff.reduce(JSONValue.object(seed)) { $0.applying($1) }
            let indexed = updated["schema"]?["is_indexed"]?.isTruthy ?? false
            let position = systemFields.firstIndex {
                jsStrictEquals($0["collection"], entry.collection) && jsStrictEquals($0["field"], entry.field)
            }
            // Only indexed system fields are listed in a snapshot.
            switch (position, indexed) {
            case (let position?, false): systemFields.remove(at: position)
            case (let position?, true):
                guard case .object(var existing) = systemFields[position] else { break }
                var schema = existing["schema"]?.objectValue ?? JSONObject()
                schema["is_indexed"] = true
                existing["schema"] = .object(schema)
                systemFields[position] = .object(existing)
            case (nil, true):
                seed["schema"] = ["is_indexed": true]
                systemFields.append(.object(seed))
            case (nil, false): break
            }
        }
    }

    // MARK: Relations

    private func relationPosition(_ entry: SnapshotDiff.Entry) -> Int? {
        relations.firstIndex {
            jsStrictEquals($0["collection"], entry.collection) && jsStrictEquals($0["field"], entry.field)
        }
    }

    private mutating func applyRelations() throws(Failure) {
        for entry in diff.relations {
            try attempt { run throws(Failure) in try run.applyRelation(entry) }
        }
    }

    private mutating func applyRelation(_ entry: SnapshotDiff.Entry) throws(Failure) {
        if options.judgesEntitiesAtRoot {
            switch (operationAtRoot(entry), entry.diff.first) {
            case (.create, .new(_, let rhs)?): try createRelation(entry, rhs)
            case (.delete, _): try deleteRelation(entry)
            default: try updateRelation(entry)
            }
            return
        }
        do {
            switch entry.diff.first {
            case .new(_, let rhs)?: try createRelation(entry, rhs)
            case .edited?, .array?: try updateRelation(entry)
            case .deleted?: try deleteRelation(entry)
            case nil: return
            }
        }
    }

    private mutating func createRelation(_ entry: SnapshotDiff.Entry, _ rhs: JSONValue) throws(Failure) {
        if relationPosition(entry) != nil {
            throw Failure(
                step: .createRelation, collection: entry.collectionName, field: entry.fieldName,
                reason: "Field \"\(entry.fieldName)\" in collection \"\(entry.collectionName)\" already "
                    + "has an associated relationship", isForbidden: false)
        }
        var relation = rhs.objectValue ?? JSONObject()
        if let collection = entry.collection { relation["collection"] = collection }
        if let field = entry.field { relation["field"] = field }
        relations.append(entityShape(.object(relation), kind: .relation))
    }

    private mutating func updateRelation(_ entry: SnapshotDiff.Entry) throws(Failure) {
        guard let updated = Self.replayed(entry, on: current.relations) else { return }
        guard let position = relationPosition(entry) else {
            throw missingRelation(.updateRelation, entry)
        }
        relations[position] = entityShape(updated, kind: .relation)
    }

    private mutating func deleteRelation(_ entry: SnapshotDiff.Entry) throws(Failure) {
        guard let position = relationPosition(entry) else {
            throw missingRelation(.deleteRelation, entry)
        }
        relations.remove(at: position)
    }

    /// RelationsService's errors for a relation it cannot find, in the order it checks.
    private mutating func missingRelation(_ step: Failure.Step, _ entry: SnapshotDiff.Entry) -> Failure {
        let (collection, field) = (entry.collectionName, entry.fieldName)
        let collectionExists =
            SnapshotConsistency.isSystemCollection(collection)
            || collectionExists(entry.collection)
        let reason: String
        if !collectionExists {
            reason = "Collection \"\(collection)\" doesn't exist"
        } else if fieldPosition(entry) == nil && !SnapshotConsistency.isSystemCollection(collection) {
            reason = "Field \"\(field)\" doesn't exist in collection \"\(collection)\""
        } else {
            reason = "Field \"\(field)\" in collection \"\(collection)\" doesn't have a relationship."
        }
        return Failure(step: step, collection: collection, field: field, reason: reason, isForbidden: false)
    }

    // MARK: Result

    /// An entity as Directus stores and reports it: the snapshot's picked keys, in their order.
    private func entityShape(_ value: JSONValue, kind: EntityKind) -> JSONValue {
        DirectusSnapshotFormat.entity(value, kind: kind)
    }

    func result() -> Snapshot {
        var snapshot = current
        var keep = { (_: JSONValue) in true }
        if options.excludesDatabaseOnlyEntities {
            keep = { $0["meta"]?.isNull != true }
        }
        snapshot.collections = DirectusSnapshotFormat.sorted(collections.filter(keep), kind: .collection)
        snapshot.fields = DirectusSnapshotFormat.sorted(fields.filter(keep), kind: .field)
        snapshot.relations = DirectusSnapshotFormat.sorted(relations.filter(keep), kind: .relation)
        if current.hasSystemFields || !systemFields.isEmpty {
            snapshot.systemFields = DirectusSnapshotFormat.sorted(systemFields, kind: .systemField)
        }
        return snapshot
    }
}
