/// What Directus's apply does *not* do as the diff says.
///
/// Up to 12.3 Directus decides what to do with an entity from its first record's kind only; from 12.4 (#27880)
/// from a root-level first record, so a nested first `N` or `D` is an update there. These cases follow from that
/// and from its apply order; each is a warning worth showing before an apply, and some destroy data.
public enum ApplyLimitations {
    public struct Limitation: Sendable, Hashable, CustomStringConvertible {
        public enum Effect: String, Sendable {
            /// Directus deletes the entity although the diff only removes a property of it.
            case deletesEntity = "deletes"
            /// Directus leaves the change out.
            case ignoresChange = "ignores"
            /// Directus stops with an error.
            case fails = "fails on"
            /// Directus drops a relation the diff keeps.
            case dropsRelation = "drops the relation of"
        }

        public var list: EntityKind
        public var collection: String
        public var field: String?
        public var effect: Effect
        public var reason: String

        public var target: String { field.map { "\(collection).\($0)" } ?? collection }
        public var description: String { "Directus \(effect.rawValue) \(list.rawValue) \(target): \(reason)" }
    }

    /// - Parameter version: the target's release (nil: taken as 11.x).
    public static func of(_ diff: SnapshotDiff, current: Snapshot, version: DirectusVersion? = nil) -> [Limitation] {
        var found: [Limitation] = []
        let atRoot = version?.judgesEntitiesAtRoot ?? false
        /// The first record's kind as Directus acts on it: from 12.4 a nested `N`/`D` is an edit.
        func acting(_ entry: SnapshotDiff.Entry) -> DiffRecord.Kind? {
            guard let first = entry.diff.first else { return nil }
            if atRoot && !first.isRoot && (first.kind == .new || first.kind == .deleted) { return .edited }
            return first.kind
        }
        let createdCollections = Set(diff.collections.filter { acting($0) == .new }.map(\.collectionName))
        let existingCollections = Set(current.collections.compactMap { $0["collection"]?.stringValue })
        for entry in diff.collections {
            guard let first = entry.diff.first, let kind = acting(entry) else { continue }
            switch (kind, first.path.isEmpty) {
            case (.deleted, false):
                found.append(
                    .init(
                        list: .collection, collection: entry.collectionName, field: nil, effect: .deletesEntity,
                        reason: "its first change removes \(pathText(first.path)), and Directus deletes a collection "
                            + "whose first diff record is a deletion"))
            case (.new, false):
                found.append(
                    .init(
                        list: .collection, collection: entry.collectionName, field: nil, effect: .ignoresChange,
                        reason:
                            "its first change adds \(pathText(first.path)); Directus updates a collection only when "
                            + "its first record is an edit"))
            case (.new, true):
                if let group = first.rhsValue?["meta"]?["group"]?.stringValue, !existingCollections.contains(group),
                    !createdCollections.contains(group)
                {
                    found.append(
                        .init(
                            list: .collection, collection: entry.collectionName, field: nil, effect: .ignoresChange,
                            reason: "its group \(group) neither exists nor is created, so Directus never creates it"))
                }
            default:
                if kind == .edited || kind == .array,
                    entry.diff.contains(where: { !$0.path.isEmpty && $0.path.first != .key("meta") })
                {
                    found.append(
                        .init(
                            list: .collection, collection: entry.collectionName, field: nil, effect: .ignoresChange,
                            reason: "only a collection's metadata can be updated; its schema stays"))
                }
            }
        }
        // Deleting a collection deletes every relation touching it first; a later change to such a relation
        // finds nothing.
        let deletedCollections = Set(diff.collections.filter { acting($0) == .deleted }.map(\.collectionName))
        for relation in current.relations {
            guard let related = relation["related_collection"]?.stringValue, deletedCollections.contains(related),
                let collection = relation["collection"]?.stringValue, !deletedCollections.contains(collection)
            else { continue }
            let field = relation["field"]?.stringValue ?? ""
            if let entry = diff.relations.first(where: { $0.collectionName == collection && $0.fieldName == field }) {
                found.append(
                    .init(
                        list: .relation, collection: collection, field: field, effect: .fails,
                        reason: "Directus already deleted it with collection \(related), and then finds no relation "
                            + "to \(entry.firstKind == .deleted ? "delete" : "update")"))
            } else {
                found.append(
                    .init(
                        list: .relation, collection: collection, field: field, effect: .dropsRelation,
                        reason: "deleting collection \(related) deletes every relation pointing to it"))
            }
        }
        for entry in diff.collections where acting(entry) == .new && entry.collectionName.hasPrefix("directus_") {
            found.append(
                .init(
                    list: .collection, collection: entry.collectionName, field: nil, effect: .fails,
                    reason: "Directus refuses to create collections whose name starts with directus_"))
        }
        let deletedFields = Set(
            diff.fields.filter { $0.firstKind == .deleted && $0.diff.first?.path.isEmpty == true }
                .map { [$0.collectionName, $0.fieldName] })
        for entry in diff.fields {
            guard let first = entry.diff.first, !first.path.isEmpty, first.path.first != .key("meta") else { continue }
            switch acting(entry) {
            case .deleted:
                found.append(
                    .init(
                        list: .field, collection: entry.collectionName, field: entry.fieldName, effect: .deletesEntity,
                        reason: "its first change removes \(pathText(first.path)), and Directus deletes a field whose "
                            + "first diff record is a deletion outside meta"))
            case .new:
                found.append(
                    .init(
                        list: .field, collection: entry.collectionName, field: entry.fieldName, effect: .fails,
                        reason: "its first change adds \(pathText(first.path)) outside meta, and Directus hands that "
                            + "value to createField as if it were a whole field: createField looks the field up by an "
                            + "undefined name, the query fails, and the apply stops with 500 (An unexpected "
                            + "error occurred.)"))
            default: break
            }
        }
        // A deleted field takes its relation with it; the diff has nothing to create it again.
        for relation in current.relations {
            let key = [relation["collection"]?.stringValue ?? "", relation["field"]?.stringValue ?? ""]
            guard deletedFields.contains(key) else { continue }
            let recreated = diff.relations.contains {
                [$0.collectionName, $0.fieldName] == key && $0.diff.contains { $0.kind == .new }
            }
            let removed = diff.relations.contains {
                [$0.collectionName, $0.fieldName] == key && acting($0) == .deleted
            }
            let aliasChange = diff.fields.contains { [$0.collectionName, $0.fieldName] == key && $0.firstKind == .new }
            if !recreated && !removed && aliasChange {
                found.append(
                    .init(
                        list: .relation, collection: key[0], field: key[1], effect: .dropsRelation,
                        reason: "the field changes to or from an alias, which Directus does by deleting it, and "
                            + "deleting a field deletes its relation"))
            }
        }
        // Deleting a field (also on the way to or from alias) clears `one_field` of relations that named it.
        for relation in current.relations {
            guard let related = relation["related_collection"]?.stringValue,
                let oneField = relation["meta"]?["one_field"]?.stringValue, deletedFields.contains([related, oneField])
            else { continue }
            let collection = relation["collection"]?.stringValue ?? ""
            let field = relation["field"]?.stringValue ?? ""
            if diff.relations.contains(where: { $0.collectionName == collection && $0.fieldName == field }) { continue }
            found.append(
                .init(
                    list: .relation, collection: collection, field: field, effect: .ignoresChange,
                    reason: "deleting field \(related).\(oneField) clears this relation's one_field, and the diff "
                        + "does not set it again"))
        }
        for entry in diff.relations {
            guard let first = entry.diff.first, !first.path.isEmpty else { continue }
            if acting(entry) == .new {
                found.append(
                    .init(
                        list: .relation, collection: entry.collectionName, field: entry.fieldName, effect: .fails,
                        reason: "its first change adds \(pathText(first.path)), and Directus then creates the relation "
                            + "again"))
            } else if acting(entry) == .deleted {
                found.append(
                    .init(
                        list: .relation, collection: entry.collectionName, field: entry.fieldName,
                        effect: .deletesEntity,
                        reason: "its first change removes \(pathText(first.path)), and Directus deletes a relation "
                            + "whose first diff record is a deletion"))
            }
        }
        for entry in diff.systemFields where entry.firstKind != .edited {
            found.append(
                .init(
                    list: .systemField, collection: entry.collectionName, field: entry.fieldName,
                    effect: .ignoresChange,
                    reason: "Directus applies only edits of system fields"))
        }
        return found
    }

    static func pathText(_ path: [PathComponent]) -> String {
        path.map(\.description).joined(separator: ".")
    }
}

extension DiffRecord {
    /// The `rhs` of an `N` or `E` record.
    public var rhsValue: JSONValue? {
        switch self {
        case .new(_, let rhs), .edited(_, _, let rhs): rhs
        default: nil
        }
    }

    /// The `lhs` of a `D` or `E` record.
    public var lhsValue: JSONValue? {
        switch self {
        case .deleted(_, let lhs), .edited(_, let lhs, _): lhs
        default: nil
        }
    }
}
