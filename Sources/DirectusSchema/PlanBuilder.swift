/// Turns a Directus diff into a `Plan`: one change per entity, with destructive changes marked.
///
/// Destructive: deleting a collection, a field or a relation; changing a field's type or data type;
/// shrinking `max_length`; making a field non-nullable or unique; dropping a system index; and anything
/// Directus itself deletes (see `ApplyLimitations`).
public enum PlanBuilder {
    /// - Parameter version: the target's release, for what its apply does (nil: taken as 11.x).
    public static func plan(_ diff: SnapshotDiff, current: Snapshot, version: DirectusVersion? = nil) -> Plan {
        var changes: [Plan.Change] = []
        for entry in diff.collections {
            changes.append(change(for: entry, entity: .collection))
        }
        var fieldChanges: [Plan.Change] = []
        var positions: [[String]: Int] = [:]
        for entry in diff.fields {
            let change = change(for: entry, entity: .field)
            let key = [entry.collectionName, entry.fieldName]
            // A change to or from alias comes as a root D then a root N: show it once, as a replacement.
            if change.action == .create, let position = positions[key], fieldChanges[position].action == .delete {
                fieldChanges[position] = replacement(old: fieldChanges[position], entry: entry, diff: diff)
                continue
            }
            positions[key] = fieldChanges.count
            fieldChanges.append(change)
        }
        changes += fieldChanges
        for entry in diff.systemFields {
            changes.append(change(for: entry, entity: .systemField))
        }
        for entry in diff.relations {
            changes.append(change(for: entry, entity: .relation))
        }
        return Plan(changes: changes, warnings: ApplyLimitations.of(diff, current: current, version: version))
    }

    private static func change(for entry: SnapshotDiff.Entry, entity: EntityKind) -> Plan.Change {
        let related = entry.relatedCollection?.stringValue
        let field = entity == .collection ? nil : entry.fieldName
        var change = Plan.Change(
            action: .update, entity: entity, collection: entry.collectionName, field: field,
            relatedCollection: related, details: [], destructiveReasons: [])
        if let first = entry.diff.first, first.isRoot, entry.diff.count == 1 {
            switch first {
            case .new(_, let rhs):
                change.action = .create
                if entity == .relation { change.relatedCollection = rhs["related_collection"]?.stringValue ?? related }
                return change
            case .deleted:
                change.action = .delete
                change.destructiveReasons = [deletionReason(entity)]
                return change
            default: break
            }
        }
        change.details = entry.diff.flatMap { details(of: $0, prefix: []) }
        change.destructiveReasons = destructiveReasons(entity: entity, details: change.details)
        return change
    }

    private static func replacement(
        old: Plan.Change, entry: SnapshotDiff.Entry, diff: SnapshotDiff
    )
        -> Plan.Change
    {
        let oldType = diff.fields.first {
            $0.collectionName == entry.collectionName && $0.fieldName == entry.fieldName && $0.firstKind == .deleted
        }?.diff.first?.lhsValue?["type"]
        let newType = entry.diff.first?.rhsValue?["type"]
        var change = old
        change.action = .replace
        change.details = [Plan.Detail(path: "type", from: oldType, to: newType)]
        change.destructiveReasons =
            oldType?.stringValue == "alias"
            ? []
            : [
                "the field is deleted and created again as \(newType?.stringValue ?? "?"): its column and data are dropped"
            ]
        return change
    }

    /// Flattens a record into property changes; array records read `path[index]`.
    static func details(of record: DiffRecord, prefix: [PathComponent]) -> [Plan.Detail] {
        let path = pathText(prefix + record.path)
        switch record {
        case .new(_, let rhs): return [.init(path: path, from: nil, to: rhs)]
        case .deleted(_, let lhs): return [.init(path: path, from: lhs, to: nil)]
        case .edited(_, let lhs, let rhs): return [.init(path: path, from: lhs, to: rhs)]
        case .array(let arrayPath, let index, let item):
            return details(of: item, prefix: prefix + arrayPath + [.index(index)])
        }
    }

    static func pathText(_ path: [PathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    private static func deletionReason(_ entity: EntityKind) -> String {
        switch entity {
        case .collection: "deleting a collection drops its table and every row in it"
        case .field: "deleting a field drops its column and the data in it"
        case .relation: "deleting a relation drops its foreign key"
        case .systemField: "dropping a system index slows the queries that use it"
        }
    }

    private static func destructiveReasons(entity: EntityKind, details: [Plan.Detail]) -> [String] {
        var reasons: [String] = []
        for detail in details {
            switch (entity, detail.path) {
            case (.field, "type"):
                reasons.append(
                    "changing the type from \(text(detail.from)) to \(text(detail.to)) can convert or lose data")
            case (.field, "schema.data_type"):
                reasons.append("changing the column type from \(text(detail.from)) to \(text(detail.to)) can lose data")
            case (.field, "schema.is_nullable") where detail.from?.isTruthy == true && detail.to?.isTruthy == false:
                reasons.append("making the field non-nullable fails or rewrites rows that hold null")
            case (.field, "schema.is_unique") where detail.from?.isTruthy != true && detail.to?.isTruthy == true:
                reasons.append("making the field unique fails when rows hold duplicates")
            case (.field, "schema.max_length"):
                if let from = detail.from?.numberValue?.doubleValue, let to = detail.to?.numberValue?.doubleValue,
                    to < from
                {
                    reasons.append(
                        "shrinking max_length from \(text(detail.from)) to \(text(detail.to)) can truncate data")
                }
            case (.systemField, "schema.is_indexed") where detail.to?.isTruthy == false:
                reasons.append("the system index is dropped")
            default: break
            }
        }
        return reasons
    }

    public static func text(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        let text = JSONWriter(numberStyle: .javaScript).string(value)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
