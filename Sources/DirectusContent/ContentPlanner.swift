import DirectusSchema

/// Builds `ContentPlan`s.
public enum ContentPlanner {
    /// The plan turning `current` (the target's content as read, with its ids) into `desired` (the source's, as a
    /// revision holds it). `keepDeletions`: `destructive: never`.
    public static func plan(
        desired: ContentSet, current: ContentSet, scope: ContentNormalizer.Scope, keepDeletions: Bool = false
    ) -> ContentPlan {
        var collections: [ContentPlan.CollectionPlan] = []
        var refused: [ContentPlan.Exclusion] = []
        var withheld: [ContentPlan.Exclusion] = []
        let order = scope.writeOrder.filter { desired.collections[$0] != nil }
        for name in order {
            let rule = scope.rule(name)!
            let wanted = desired.collections[name]!
            let present = current.collections[name] ?? ContentSet.Collection(name: name)
            var plan = ContentPlan.CollectionPlan(collection: name, policy: rule.policy)
            for (key, count) in wanted.duplicates.sorted(by: { $0.key < $1.key }) {
                refused.append(
                    .init(
                        collection: name, key: key,
                        reason: "\(count) rows of the source have this identity: none is promoted until they differ"))
            }
            for (key, count) in present.duplicates.sorted(by: { $0.key < $1.key }) {
                refused.append(
                    .init(
                        collection: name, key: key,
                        reason: "\(count) rows of the target have this identity: none is changed until they differ"))
            }
            let blocked = Set(wanted.duplicates.keys).union(present.duplicates.keys)
            for row in wanted.sortedRows where !blocked.contains(row.key) {
                guard let existing = present.rows[row.key] else {
                    plan.creates.append(
                        .init(
                            collection: name, key: row.key, action: .create, fields: [], before: nil, after: row.fields)
                    )
                    continue
                }
                // Only the fields the source has: one it lacks is not ours to change.
                let changed = row.fields.keys.filter { existing.fields[$0] != row.fields[$0] }.sorted()
                guard !changed.isEmpty else { continue }
                if rule.policy == .insertOnly {
                    plan.notUpdated += 1
                    continue
                }
                plan.updates.append(
                    .init(
                        collection: name, key: row.key, action: .update, fields: changed, before: existing.fields,
                        after: row.fields, targetID: existing.id))
            }
            for row in present.sortedRows where wanted.rows[row.key] == nil && !blocked.contains(row.key) {
                guard rule.policy == .mirror else {
                    plan.targetOnly += 1
                    continue
                }
                if keepDeletions {
                    withheld.append(.init(collection: name, key: row.key, reason: "not deleted: destructive is never"))
                    continue
                }
                plan.deletes.append(
                    .init(
                        collection: name, key: row.key, action: .delete, fields: [], before: row.fields, after: nil,
                        targetID: row.id))
            }
            collections.append(plan)
        }
        // References must point at a row the target has (and keeps) or the plan creates.
        var available: [String: Set<String>] = [:]
        for plan in collections {
            let deleted = Set(plan.deletes.map(\.key))
            let kept = Set((current.collections[plan.collection]?.rows.keys).map(Array.init) ?? []).subtracting(deleted)
            available[plan.collection] = kept.union(plan.creates.map(\.key))
        }
        for index in collections.indices {
            let schema = scope.schemas[collections[index].collection]
            func dangling(_ change: ContentPlan.Change) -> String? {
                for (field, related) in (schema?.references ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard scope.rule(related) != nil, let value = change.after?[field], !value.isNull else { continue }
                    guard let key = value.stringValue, available[related]?.contains(key) == true else {
                        return "\(field) refers to \(JSONWriter.canonical.string(value)) in \(related), which is "
                            + "neither on the target nor promoted"
                    }
                }
                return nil
            }
            for kind in [\ContentPlan.CollectionPlan.creates, \.updates] {
                collections[index][keyPath: kind].removeAll { change in
                    guard let reason = dangling(change) else { return false }
                    refused.append(.init(collection: change.collection, key: change.key, reason: reason))
                    return true
                }
            }
        }
        return ContentPlan(
            collections: collections,
            steps: steps(collections, current: current, scope: scope),
            refused: refused, withheld: withheld, targetHash: current.contentHash)
    }

    /// Writes in write order, each collection's creates and updates in one import; references to rows created in
    /// the same collection or a later one left null (creates) or out (updates) and set by links after every write;
    /// deletions last, the referring collections first.
    static func steps(
        _ collections: [ContentPlan.CollectionPlan], current: ContentSet, scope: ContentNormalizer.Scope
    ) -> [ContentPlan.Step] {
        var writes: [ContentPlan.Step] = []
        var links: [ContentPlan.Step] = []
        var deletes: [ContentPlan.Step] = []
        // Rows that exist on the target once a collection's write is done: what it had, plus what was created in
        // it and in the collections before it.
        var existing: [String: Set<String>] = [:]
        for collection in collections {
            existing[collection.collection] = Set(
                (current.collections[collection.collection]?.rows.keys).map(Array.init) ?? [])
        }
        for collection in collections {
            let name = collection.collection
            let references = (scope.schemas[name]?.references ?? [:]).filter { scope.rule($0.value) != nil }
            /// Whether a reference from this collection's write can be resolved when the write is sent.
            func ready(_ related: String, _ key: String) -> Bool {
                related != name && existing[related]?.contains(key) == true
            }
            var items: [ContentPlan.Item] = []
            var linked: [ContentPlan.Item] = []
            for change in collection.creates + collection.updates {
                let after = change.after ?? JSONObject()
                var body = JSONObject()
                var link = JSONObject()
                let fields = change.action == .create ? after.keys : change.fields
                for field in fields {
                    guard let value = after[field] else { continue }
                    if let related = references[field], let key = value.stringValue, !ready(related, key),
                        !(related == name && current.collections[name]?.rows[key] != nil)
                    {
                        link[field] = value
                        if change.action == .create { body[field] = .null }
                        continue
                    }
                    body[field] = value
                }
                if change.action == .update && body.isEmpty && !link.isEmpty {
                    // Nothing but references to set: the link does it.
                } else {
                    items.append(.init(key: change.key, targetID: change.targetID, body: body))
                }
                if !link.isEmpty { linked.append(.init(key: change.key, targetID: change.targetID, body: link)) }
            }
            if !items.isEmpty { writes.append(.write(collection: name, items: items)) }
            if !linked.isEmpty { links.append(.link(collection: name, items: linked)) }
            existing[name, default: []].formUnion(collection.creates.map(\.key))
            if !collection.deletes.isEmpty {
                deletes.insert(
                    .delete(
                        collection: name,
                        items: collection.deletes.map { .init(key: $0.key, targetID: $0.targetID, body: JSONObject()) }),
                    at: 0)
            }
        }
        return writes + links + deletes
    }
}

extension ContentPlan.Step {
    /// The request's items as sent: each reference (an identity key) replaced by the target's id of the row it
    /// names, each row that exists on the target named by its primary key; `ids` holds the target's ids per
    /// collection by row key, as read after the writes before this one.
    public func requestItems(
        ids: [String: [String: JSONValue]], scope: ContentNormalizer.Scope
    ) throws(ContentError)
        -> [JSONValue]
    {
        guard let schema = scope.schemas[collection] else {
            throw ContentError(collection: collection, reason: "not a promoted collection")
        }
        let references = schema.references.filter { scope.rule($0.value) != nil }
        var sent: [JSONValue] = []
        for item in items {
            let id = item.targetID ?? ids[collection]?[item.key]
            if case .delete = self {
                guard let id else {
                    throw ContentError(collection: collection, reason: "row \(item.key) has no id on the target")
                }
                sent.append(id)
                continue
            }
            var body = JSONObject()
            if let id {
                body[schema.primaryKey] = id
            } else if case .link = self {
                throw ContentError(collection: collection, reason: "row \(item.key) was not found after its write")
            }
            for (field, value) in item.body {
                if let related = references[field], let key = value.stringValue {
                    guard let target = ids[related]?[key] else {
                        throw ContentError(
                            collection: collection,
                            reason: "row \(item.key): \(field) refers to \(key) in \(related), which the target lacks")
                    }
                    body[field] = target
                } else {
                    body[field] = value
                }
            }
            sent.append(.object(body))
        }
        return sent
    }
}
