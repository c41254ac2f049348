import DirectusSchema
import Foundation

/// What to do with a plan that destroys data: deletes a collection, field or relation, or changes a field in a way
/// that can lose data (type, nullability, uniqueness, a shorter length).
public enum DestructivePolicy: String, Sendable, Equatable, CaseIterable {
    /// Apply it like any other change.
    case allow
    /// Hold it until someone approves with `--allow-destructive` (even where approval is otherwise automatic).
    case approve
    /// Never apply the destructive changes: they are left out of the diff and reported; the rest is applied.
    case never

    /// The default: the first target allows, later ones (production) need explicit approval.
    public static func defaultPolicy(forTargetAt index: Int) -> DestructivePolicy {
        index == 0 ? .allow : .approve
    }

    /// The diff without its destructive entries (for `never`), judged by the plan made of it. A field replaced by
    /// deleting and creating it (to or from `alias`) is left out whole, even from `alias`: `never` deletes nothing.
    public static func withoutDestructive(_ diff: JSONValue, plan: Plan) -> (diff: JSONValue, removed: [Plan.Change]) {
        let destructive = plan.changes.filter { $0.isDestructive || $0.action == .replace }
        guard !destructive.isEmpty else { return (diff, []) }
        func key(_ collection: String, _ field: String?, _ related: String?) -> String {
            "\(collection)\u{0}\(field ?? "")\u{0}\(related ?? "")"
        }
        var bySection: [String: Set<String>] = [:]
        for change in destructive {
            bySection[change.entity.listKey, default: []].insert(
                key(change.collection, change.field, change.relatedCollection))
        }
        var object = diff.objectValue ?? JSONObject()
        for (section, keys) in bySection {
            let entries = object[section]?.arrayValue ?? []
            object[section] = .array(
                entries.filter { entry in
                    let entryKey = key(
                        entry["collection"]?.stringValue ?? "", entry["field"]?.stringValue,
                        entry["related_collection"]?.stringValue)
                    return !keys.contains(entryKey)
                })
        }
        return (.object(object), destructive)
    }
}
