import Crypto
import DirectusSchema

/// What promoting reference data to a target will do, collection by collection, as imports in dependency order
/// with what it will not do and why. Built by `ContentPlanner` from the source's content (as a revision holds it)
/// and the target's (as read, with its ids); pure.
public struct ContentPlan: Sendable, Hashable {
    /// One row's change.
    public struct Change: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            case create, update, delete
        }

        public var collection: String
        public var key: String
        public var action: Action
        /// The fields that differ (updates).
        public var fields: [String]
        public var before: JSONObject?
        public var after: JSONObject?
        /// The row's primary key on the target (updates and deletes).
        public var targetID: JSONValue?
    }

    /// A change the plan leaves out, and why.
    public struct Exclusion: Sendable, Hashable {
        public var collection: String
        public var key: String
        public var reason: String
    }

    /// One collection's share of the plan.
    public struct CollectionPlan: Sendable, Hashable {
        public var collection: String
        public var policy: ContentRule.Policy
        public var creates: [Change] = []
        public var updates: [Change] = []
        public var deletes: [Change] = []
        /// Rows only the target has, left alone by the policy (`upsert`, `insert-only`).
        public var targetOnly = 0
        /// Rows that differ but are not updated (`insert-only`).
        public var notUpdated = 0

        public var changes: [Change] { creates + updates + deletes }

        /// `countries: +3 rows, ~1 row (name), -0`.
        public var summaryLine: String {
            func rows(_ count: Int) -> String { "\(count) row\(count == 1 ? "" : "s")" }
            let fields = Array(Set(updates.flatMap(\.fields))).sorted()
            let named =
                fields.count > 3 ? fields.prefix(3).joined(separator: ", ") + ", …" : fields.joined(separator: ", ")
            var line = "\(collection): +\(rows(creates.count)), ~\(rows(updates.count))"
            if !named.isEmpty { line += " (\(named))" }
            line += ", -\(deletes.count)"
            var notes: [String] = []
            if targetOnly > 0 { notes.append("\(rows(targetOnly)) only on the target, left (\(policy.rawValue))") }
            if notUpdated > 0 { notes.append("\(rows(notUpdated)) differing, not updated (insert-only)") }
            if !notes.isEmpty { line += "; " + notes.joined(separator: "; ") }
            return line
        }
    }

    /// One row as a request sends it.
    public struct Item: Sendable, Hashable {
        public var key: String
        /// The row's primary key on the target; nil for a row the plan creates (found by key once it exists).
        public var targetID: JSONValue?
        /// The fields to send; references hold the identity key of the row they point at, turned into the
        /// target's id when sent.
        public var body: JSONObject
    }

    /// One request.
    public enum Step: Sendable, Hashable {
        /// Creates and updates of a collection in one import (one transaction on the instance).
        case write(collection: String, items: [Item])
        /// References to rows the plan creates in the same collection or a later one: set once those exist.
        case link(collection: String, items: [Item])
        /// Rows deleted in one request.
        case delete(collection: String, items: [Item])

        public var collection: String {
            switch self {
            case .write(let collection, _), .link(let collection, _), .delete(let collection, _): collection
            }
        }

        public var items: [Item] {
            switch self {
            case .write(_, let items), .link(_, let items), .delete(_, let items): items
            }
        }
    }

    /// In write order.
    public var collections: [CollectionPlan]
    public var steps: [Step]
    /// Changes never made: rows whose identity matches several rows, references to rows neither on the target nor
    /// promoted.
    public var refused: [Exclusion]
    /// Deletions kept back (`destructive: never`).
    public var withheld: [Exclusion]
    /// The hash of the target's content as planned: checked again before applying.
    public var targetHash: String

    public var changes: [Change] { collections.flatMap(\.changes) }
    public var isEmpty: Bool { changes.isEmpty }
    public var isDestructive: Bool { collections.contains { !$0.deletes.isEmpty } }

    /// The counts, in a schema plan's terms (a deletion is destructive).
    public var summary: Plan.Summary {
        var summary = Plan.Summary()
        for collection in collections {
            summary.creates += collection.creates.count
            summary.updates += collection.updates.count
            summary.deletes += collection.deletes.count
            summary.destructive += collection.deletes.count
        }
        return summary
    }

    /// What the plan would do, independent of the target's ids: equal keys, equal plans (an approval holds for a
    /// plan with the same key).
    public var contentKey: String {
        var items: [JSONValue] = []
        for change in changes {
            items.append(
                .array([
                    .string(change.collection), .string(change.key), .string(change.action.rawValue),
                    change.after.map(JSONValue.object) ?? .null, change.before.map(JSONValue.object) ?? .null,
                ]))
        }
        let digest = SHA256.hash(data: JSONWriter.canonical.bytes(.array(items)))
        return "content:"
            + digest.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }
            .joined()
    }
}
