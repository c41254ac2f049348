import DirectusClient
import DirectusContent
import DirectusSchema

/// Sends a `ContentPlan` to a target: each collection's creates and updates as one import (one transaction on the
/// instance), the rows it created read back to learn their ids, then the links, then the deletions. When a step
/// fails, compensates as the configuration phase does: removes the rows the apply created, puts back the fields it
/// changed and re-creates the rows it deleted, from the rows read right before the apply; then says what it could
/// and could not restore.
public enum ContentApplier {
    public struct Report: CompensatedApply {
        public let phase = "reference data"
        /// What was written, in words (`countries: imported 3 rows`).
        public var done: [String] = []
        /// The step that failed and Directus's answer; nil when every step went through.
        public var failure: String?
        public var undone: [String] = []
        public var notUndone: [String] = []
    }

    /// Applies `plan`; `before` holds the target's rows as read when the plan was made. With `dryRunFirst` (a 12.2+
    /// target), each write is first checked by 12.2's batch import with `dryRun` (rolled back by the instance), so
    /// that a row the target would refuse stops the apply before anything of that collection is written, then sent
    /// for real the same way (or, for new rows that carry their own key, by the per-collection import).
    public static func apply(
        _ plan: ContentPlan, before: [String: [JSONObject]], scope: ContentNormalizer.Scope, on client: DirectusClient,
        dryRunFirst: Bool = false
    ) async -> Report {
        var report = Report()
        // The target's ids by row key, per collection: what it had, then what each write created.
        var ids: [String: [String: JSONValue]] = [:]
        for (collection, rows) in before { ids[collection] = keys(rows, collection: collection, scope: scope) }
        var created: [(collection: String, id: JSONValue)] = []
        var changed: [(collection: String, id: JSONValue, fields: [String])] = []
        var deleted: [String] = []
        for step in plan.steps {
            let collection = step.collection
            do {
                let items = try step.requestItems(ids: ids, scope: scope)
                switch step {
                case .write, .link:
                    let known = ids[collection] ?? [:]
                    if dryRunFirst {
                        do {
                            try await client.importBatch([(collection, items)], mode: "merge", dryRun: true)
                        } catch {
                            throw DryRunRefusal(error: error)
                        }
                    }
                    if dryRunFirst && carriesOnlyKnownKeys(items, collection: collection, ids: known, scope: scope) {
                        // Rows that exist go by their key, new ones without: what merge mode does with them is
                        // plain (CONFIG-SPEC 7), so the batch import writes them as it checked them.
                        try await client.importBatch([(collection, items)], mode: "merge", dryRun: false)
                    } else {
                        // A new row carrying its own key (the key is its identity): the per-collection import
                        // keeps it as sent, where the batch import may give an auto-increment key another.
                        try await client.importItems(items, into: collection)
                    }
                    let primaryKey = scope.schemas[collection]?.primaryKey ?? "id"
                    let now = try await client.items(
                        collection, primaryKey: primaryKey, maxRows: scope.limits.maxRows + step.items.count)
                    let fresh = keys(now, collection: collection, scope: scope)
                    ids[collection] = fresh
                    let new = step.items.filter { known[$0.key] == nil }
                    for item in new {
                        if let id = fresh[item.key] { created.append((collection, id)) }
                    }
                    for item in step.items {
                        if let id = known[item.key] { changed.append((collection, id, Array(item.body.keys))) }
                    }
                    let verb = { if case .link = step { return "linked" } else { return "imported" } }()
                    report.done.append(
                        "\(collection): \(verb) \(items.count) row\(items.count == 1 ? "" : "s")"
                            + (new.isEmpty ? "" : " (\(new.count) created)"))
                case .delete:
                    try await client.deleteItems(items, from: collection)
                    deleted.append(collection)
                    report.done.append("\(collection): deleted \(items.count) row\(items.count == 1 ? "" : "s")")
                }
            } catch {
                let action =
                    switch step {
                    case .write where error is DryRunRefusal: "the dry run of the import into \(collection)"
                    case .write: "import into \(collection)"
                    case .link: "link in \(collection)"
                    case .delete: "delete from \(collection)"
                    }
                report.failure = "\(action): \(error)"
                await compensate(
                    created: created, changed: changed, deleted: deleted, before: before, scope: scope, on: client,
                    &report)
                return report
            }
        }
        return report
    }

    /// A write refused by its dry run: nothing of it was written.
    struct DryRunRefusal: Error, CustomStringConvertible {
        var error: DirectusClientError
        var description: String { "\(error)" }
    }

    /// Whether every row that carries a primary key carries one the target has (an update): new rows then carry
    /// none, and the instance makes their keys.
    static func carriesOnlyKnownKeys(
        _ items: [JSONValue], collection: String, ids: [String: JSONValue], scope: ContentNormalizer.Scope
    ) -> Bool {
        guard let primaryKey = scope.schemas[collection]?.primaryKey else { return false }
        let known = Set(ids.values.map(ContentNormalizer.idText))
        return items.allSatisfy { item in
            guard let key = item[primaryKey], !key.isNull else { return true }
            return known.contains(ContentNormalizer.idText(key))
        }
    }

    /// The target's id of each row, by its identity key.
    static func keys(_ rows: [JSONObject], collection: String, scope: ContentNormalizer.Scope) -> [String: JSONValue] {
        guard let schema = scope.schemas[collection], let rule = scope.rule(collection) else { return [:] }
        let identity = schema.identityFields(rule)
        var ids: [String: JSONValue] = [:]
        for row in rows {
            if let key = ContentSet.key(of: row, identity: identity), let id = row[schema.primaryKey] { ids[key] = id }
        }
        return ids
    }

    /// Puts the target back as `before` had it, as far as it can.
    static func compensate(
        created: [(collection: String, id: JSONValue)],
        changed: [(collection: String, id: JSONValue, fields: [String])],
        deleted: [String], before: [String: [JSONObject]], scope: ContentNormalizer.Scope, on client: DirectusClient,
        _ report: inout Report
    ) async {
        func original(_ collection: String, _ id: JSONValue) -> JSONObject? {
            let primaryKey = scope.schemas[collection]?.primaryKey ?? "id"
            let text = ContentNormalizer.idText(id)
            return before[collection]?.first { $0[primaryKey].map(ContentNormalizer.idText) == text }
        }
        // 1. Fields changed on rows that existed: their earlier values, per collection in one import.
        var restores: [String: [JSONValue]] = [:]
        var order: [String] = []
        for (collection, id, fields) in changed {
            guard let row = original(collection, id) else { continue }
            let primaryKey = scope.schemas[collection]?.primaryKey ?? "id"
            var body = JSONObject()
            body[primaryKey] = id
            for field in fields where field != primaryKey { body[field] = row[field] ?? .null }
            if restores[collection] == nil { order.append(collection) }
            restores[collection, default: []].append(.object(body))
        }
        for collection in order {
            let rows = restores[collection]!
            do {
                try await client.importItems(rows, into: collection)
                report.undone.append("\(collection): restored \(rows.count) row\(rows.count == 1 ? "" : "s")")
            } catch {
                report.notUndone.append("\(collection): \(rows.count) changed rows not restored: \(error)")
            }
        }
        // 2. Rows the apply created: removed, the collections written last first.
        var removals: [String: [JSONValue]] = [:]
        var removalOrder: [String] = []
        for (collection, id) in created.reversed() {
            if removals[collection] == nil { removalOrder.append(collection) }
            removals[collection, default: []].append(id)
        }
        for collection in removalOrder {
            let keys = removals[collection]!
            do {
                try await client.deleteItems(keys, from: collection)
                report.undone.append(
                    "\(collection): removed \(keys.count) row\(keys.count == 1 ? "" : "s") the apply had created")
            } catch {
                report.notUndone.append("\(collection): \(keys.count) created rows not removed: \(error)")
            }
        }
        // 3. Rows gone since (deleted by the apply): imported again with their ids, parents first.
        for collection in scope.writeOrder where deleted.contains(collection) {
            let primaryKey = scope.schemas[collection]?.primaryKey ?? "id"
            let now: [JSONObject]
            do {
                now = try await client.items(collection, primaryKey: primaryKey, maxRows: scope.limits.maxRows)
            } catch {
                report.notUndone.append("\(collection): deleted rows: the target could not be read again (\(error))")
                continue
            }
            let present = Set(now.compactMap { $0[primaryKey].map(ContentNormalizer.idText) })
            let missing = (before[collection] ?? []).filter {
                !present.contains($0[primaryKey].map(ContentNormalizer.idText) ?? "")
            }
            guard !missing.isEmpty else { continue }
            do {
                try await client.importItems(missing.map(JSONValue.object), into: collection)
                report.undone.append(
                    "\(collection): re-created \(missing.count) deleted row\(missing.count == 1 ? "" : "s")")
            } catch {
                report.notUndone.append("\(collection): \(missing.count) deleted rows not re-created: \(error)")
            }
        }
    }
}
