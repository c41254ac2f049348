import DirectusSchema

/// What it takes to turn one configuration into another, entity by entity, in the terms of a schema plan (create,
/// update, delete), each change marked with what makes it need a person (CONFIG-SPEC section 9).
public struct ConfigDiff: Sendable {
    public struct Change: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            case create, update, delete
        }

        public var kind: ConfigKind
        public var key: String
        public var action: Action
        /// The top-level fields that differ (updates).
        public var fields: [String]
        public var before: JSONValue?
        public var after: JSONValue?
        public var concerns: [Concern]

        /// Whether the change needs the approval a destructive schema change needs.
        public var isDestructive: Bool { concerns.contains { $0.isDestructive } }
    }

    /// Why a change needs attention.
    public enum Concern: Sendable, Hashable, CustomStringConvertible {
        /// Deletes something, with its consequences.
        case destructive(String)
        /// Gives more access: security-relevant.
        case widensAccess(String)
        /// Takes access away: may lock people out.
        case narrowsAccess(String)
        /// Breaks what calls in from outside (a flow's trigger, status or webhook method).
        case breaksCallers(String)
        /// Changes how the whole instance behaves (authentication, registration, asset transforms).
        case instanceWide(String)
        /// Touches the built-in admin or public access.
        case builtIn(String)

        public var isDestructive: Bool {
            switch self {
            case .destructive, .narrowsAccess, .builtIn: true
            case .widensAccess, .breaksCallers, .instanceWide: false
            }
        }

        public var description: String {
            switch self {
            case .destructive(let text): "destructive: \(text)"
            case .widensAccess(let text): "widens access: \(text)"
            case .narrowsAccess(let text): "narrows access: \(text)"
            case .breaksCallers(let text): "breaks callers: \(text)"
            case .instanceWide(let text): "instance-wide: \(text)"
            case .builtIn(let text): "built-in: \(text)"
            }
        }
    }

    /// The changes, parents first (creates and updates), then deletions children first.
    public var changes: [Change]
    /// Changes held back because a record they name is ambiguous on either side (two `role:Editor`): a person must
    /// say which is which first.
    public var held: [Change]
    /// The ambiguous logical keys, with their counts on the source and target side.
    public var ambiguous: [String: (source: Int, target: Int)]
    /// Deletions were not inferred: the source export may lack records (`incomplete`).
    public var deletionsWithheld: Int

    public var isEmpty: Bool { changes.isEmpty && held.isEmpty }

    /// The diff turning `current` (a target's configuration) into `desired` (the source's), over the kinds both
    /// cover (a kind an export does not cover is never deleted).
    public static func diff(current: ConfigurationSnapshot, desired: ConfigurationSnapshot) -> ConfigDiff {
        let kinds = current.kinds.intersection(desired.kinds)
        var ambiguous: [String: (source: Int, target: Int)] = [:]
        for base in Set(current.ambiguous.keys).union(desired.ambiguous.keys) {
            ambiguous[base] = (desired.ambiguous[base] ?? 1, current.ambiguous[base] ?? 1)
        }
        /// A key that names an ambiguous record, as itself or as a parent (`access:role:Editor→…`).
        func isHeld(_ key: String) -> Bool {
            ambiguous.keys.contains { base in
                key == base || ["#", "→", "/"].contains { key.contains(base + $0) }
            }
        }
        var changes: [Change] = []
        var held: [Change] = []
        var withheld = 0
        let keys = Set(current.entities.keys).union(desired.entities.keys).sorted(by: jsStringLess)
        for key in keys {
            let before = current.entities[key]
            let after = desired.entities[key]
            guard let kind = (after ?? before)?.kind, kinds.contains(kind) else { continue }
            var change: Change
            switch (before, after) {
            case (nil, let after?):
                change = Change(
                    kind: kind, key: key, action: .create, fields: [], before: nil, after: after.fields, concerns: [])
            case (let before?, nil):
                if desired.incomplete || desired.incompleteKinds.contains(kind) {
                    withheld += 1
                    continue
                }
                change = Change(
                    kind: kind, key: key, action: .delete, fields: [], before: before.fields, after: nil, concerns: [])
            case (let before?, let after?):
                guard before.fields != after.fields else { continue }
                let old = before.fields.objectValue ?? JSONObject()
                let new = after.fields.objectValue ?? JSONObject()
                // Only the fields the desired side has: one it lacks (an older release's record) is not ours to
                // change, and could not be unset by a write anyway.
                let names = new.keys.filter { old[$0] != new[$0] }.sorted()
                guard !names.isEmpty else { continue }
                change = Change(
                    kind: kind, key: key, action: .update, fields: names, before: before.fields, after: after.fields,
                    concerns: [])
            case (nil, nil):
                continue
            }
            change.concerns = ConfigConcerns.of(change)
            if isHeld(key) { held.append(change) } else { changes.append(change) }
        }
        // Parents first for creates and updates; deletions after them, children first.
        let order = { (change: Change) -> (Int, Int) in
            change.action == .delete
                ? (1, ConfigKind.allCases.count - ConfigKind.allCases.firstIndex(of: change.kind)!)
                : (0, ConfigKind.allCases.firstIndex(of: change.kind)!)
        }
        changes.sort { order($0) < order($1) || (order($0) == order($1) && jsStringLess($0.key, $1.key)) }
        return ConfigDiff(changes: changes, held: held, ambiguous: ambiguous, deletionsWithheld: withheld)
    }
}
