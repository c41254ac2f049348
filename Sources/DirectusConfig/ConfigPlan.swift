import Crypto
import DirectusSchema

/// What promoting a configuration to a target will do, as REST writes in a safe order (CONFIG-SPEC section 6), with
/// what it will not do and why. Built by `ConfigPlanner` from the source's configuration and the target's, both in
/// canonical form; pure.
public struct ConfigPlan: Sendable {
    /// One write.
    public struct Step: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            /// `POST`: a new record; reference fields that close a cycle are left null and set by a `link`.
            case create
            /// `PATCH` of the changed fields.
            case update
            /// `PATCH` of the fields that close a cycle (`roles.parent`, `flows.operation`, `operations.resolve`
            /// and `reject`, `folders.parent`), once everything they point at exists.
            case link
            /// `PATCH` setting the pointers of an operation to be deleted to null (Directus refuses to delete an
            /// operation another one still points at).
            case unlink
            /// `DELETE`.
            case delete
        }

        public var kind: ConfigKind
        /// The record's logical key.
        public var key: String
        public var action: Action
        /// The record's id on the target when it exists there already; nil for a record this plan creates (found
        /// by key when the apply reaches it).
        public var targetID: String?
        /// The fields to send. Reference fields hold logical keys, turned into the target's ids when sent.
        public var body: JSONObject
    }

    /// A change the plan leaves out, and why.
    public struct Exclusion: Sendable, Hashable {
        public var key: String
        public var reason: String
    }

    /// The writes, in order.
    public var steps: [Step]
    /// What changes, entity by entity, with its concerns (what the plan shows).
    public var changes: [ConfigDiff.Change]
    /// Changes that wait for a person to say which record is which (ambiguous keys).
    public var held: [ConfigDiff.Change]
    public var ambiguous: [String: (source: Int, target: Int)]
    /// Changes never made, whatever the approvals: the admin access the daemon relies on, the public access,
    /// references to records neither on the target nor in the plan.
    public var refused: [Exclusion]
    /// Deletions kept back: `destructive: never`, or a source read that may lack records.
    public var withheld: [Exclusion]
    /// The target's ids by logical key when it was planned.
    public var targetIDs: [String: String]
    /// The hash of the target's configuration (canonical, as planned): checked again before applying.
    public var targetHash: String

    public var isEmpty: Bool { changes.isEmpty && held.isEmpty }
    public var isDestructive: Bool { changes.contains(where: \.isDestructive) }
    /// Why the plan cannot go ahead without a person (ambiguous records), or nil.
    public var blockingReason: String? {
        guard !held.isEmpty else { return nil }
        let keys = ambiguous.sorted { $0.key < $1.key }.map { key, counts in
            "\(key) (\(counts.source) on the source, \(counts.target) on the target)"
        }
        return "configuration records match more than once: \(keys.joined(separator: ", ")); say which is which with "
            + "`config match`"
    }

    /// The counts, in a schema plan's terms.
    public var summary: Plan.Summary {
        var summary = Plan.Summary()
        for change in changes {
            switch change.action {
            case .create: summary.creates += 1
            case .update: summary.updates += 1
            case .delete: summary.deletes += 1
            }
            if change.isDestructive { summary.destructive += 1 }
        }
        return summary
    }

    /// What the plan would do, independent of ids and of the target's unrelated records: equal keys, equal plans
    /// (an approval holds for a plan with the same key).
    public var contentKey: String {
        var items: [JSONValue] = []
        for change in changes + held {
            items.append(
                .array([
                    .string(change.kind.rawValue), .string(change.key), .string(change.action.rawValue),
                    change.after ?? .null, change.before ?? .null,
                ]))
        }
        let bytes = JSONWriter.canonical.bytes(.array(items))
        return "config:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// Builds `ConfigPlan`s.
public enum ConfigPlanner {
    /// How a target takes configuration.
    public struct Options: Sendable {
        /// Deletions are never made (`destructive: never`).
        public var keepDeletions = false
        /// Kinds whose source read may lack records (an unlicensed 12.x source's permissions): no deletion of them
        /// is inferred.
        public var incompleteKinds: Set<ConfigKind> = []
        public var incompleteReason = "the source's read of it may be incomplete"

        public init(keepDeletions: Bool = false, incompleteKinds: Set<ConfigKind> = []) {
            self.keepDeletions = keepDeletions
            self.incompleteKinds = incompleteKinds
        }
    }

    /// The fields that close a cycle, per kind: sent by a `link` after the creates.
    public static func linkFields(_ kind: ConfigKind) -> [String] {
        switch kind {
        case .role: ["parent"]
        case .folder: ["parent"]
        case .flow: ["operation"]
        case .operation: ["resolve", "reject"]
        default: []
        }
    }

    /// Kinds whose id is a UUID the record keeps across instances when it is created (CONFIG-SPEC 5.3: the source
    /// UUID is sent); flows and panels are keyed by it.
    static func keepsID(_ kind: ConfigKind) -> Bool { !kind.hasIntegerKey }

    /// The plan turning `current` (the target's configuration, canonical) into `desired` (the source's).
    public static func plan(
        desired: ConfigurationSnapshot, current: ConfigurationSnapshot, options: Options = Options()
    ) -> ConfigPlan {
        let diff = ConfigDiff.diff(current: current, desired: desired)
        var targetIDs: [String: String] = [:]
        for (key, entity) in current.entities { if let id = entity.sourceID { targetIDs[key] = id } }
        var refused: [ConfigPlan.Exclusion] = []
        var withheld: [ConfigPlan.Exclusion] = []
        if diff.deletionsWithheld > 0 {
            withheld.append(
                .init(
                    key: "\(diff.deletionsWithheld) record\(diff.deletionsWithheld == 1 ? "" : "s")",
                    reason: "not deleted: the source's read may be incomplete"))
        }
        // The admin access the daemon relies on, and the public access, are never taken away: the target's policies
        // with admin access (whatever they are called or matched with), the access rows granting them, and the
        // roles holding those.
        let adminPolicies = Set(
            current.entities.values.filter { $0.kind == .policy && $0.fields["admin_access"] == .bool(true) }.map(\.key)
        )
        let adminAccess = current.entities.values.filter { entity in
            entity.kind == .access && (entity.fields["policy"]?.stringValue).map(adminPolicies.contains) == true
        }
        let adminAccessKeys = Set(adminAccess.map(\.key))
        let adminRoles = Set(adminAccess.compactMap { $0.fields["role"]?.stringValue })
        let protected = Protected(policies: adminPolicies, access: adminAccessKeys, roles: adminRoles)
        var kept: [ConfigDiff.Change] = []
        for var change in diff.changes {
            if change.action == .delete {
                if let reason = protected.deletion(change) {
                    refused.append(.init(key: change.key, reason: reason))
                    continue
                }
                if change.kind == .settings { continue }
                if options.keepDeletions {
                    withheld.append(.init(key: change.key, reason: "not deleted: destructive is never"))
                    continue
                }
                if options.incompleteKinds.contains(change.kind) {
                    withheld.append(.init(key: change.key, reason: "not deleted: \(options.incompleteReason)"))
                    continue
                }
            }
            if change.action == .update, let (locked, reason) = protected.update(change) {
                refused.append(.init(key: change.key, reason: reason))
                change.fields.removeAll { locked.contains($0) }
                if change.fields.isEmpty { continue }
            }
            kept.append(change)
        }
        // References must point at something the target has or the plan creates.
        let available = Set(current.entities.keys).union(kept.filter { $0.action == .create }.map(\.key))
        var planned: [ConfigDiff.Change] = []
        for change in kept {
            if change.action != .delete, let missing = missingReference(change, available: available) {
                refused.append(
                    .init(key: change.key, reason: "refers to \(missing), which is neither on the target nor promoted"))
                continue
            }
            planned.append(change)
        }
        let steps = Self.steps(for: planned, desired: desired, current: current, targetIDs: targetIDs)
        return ConfigPlan(
            steps: steps, changes: planned, held: diff.held, ambiguous: diff.ambiguous, refused: refused,
            withheld: withheld, targetIDs: targetIDs, targetHash: current.contentHash)
    }

    /// The target's records the daemon's admin access (and the public's access) rely on.
    struct Protected {
        var policies: Set<String>
        var access: Set<String>
        var roles: Set<String>

        func deletion(_ change: ConfigDiff.Change) -> String? {
            if policies.contains(change.key) {
                return "a policy with admin access (the daemon's access relies on it) is never deleted"
            }
            if access.contains(change.key) {
                return "the access granting admin rights (the daemon's own) is never deleted"
            }
            if roles.contains(change.key) {
                return "a role holding a policy with admin access (the daemon's access) is never deleted"
            }
            if change.key == "policy:@public" { return "the public policy is never deleted" }
            if change.key == "access:@public→policy:@public" { return "the public access row is never deleted" }
            return nil
        }

        /// The fields of an update that are never sent, and why.
        func update(_ change: ConfigDiff.Change) -> (fields: [String], reason: String)? {
            if policies.contains(change.key) {
                let locked = change.fields.filter { ["admin_access", "app_access"].contains($0) }
                if !locked.isEmpty {
                    return (
                        locked,
                        "\(locked.joined(separator: " and ")) of a policy with admin access (the daemon's access "
                            + "relies on it) is never changed"
                    )
                }
            }
            if access.contains(change.key) {
                let locked = change.fields.filter { ["role", "policy", "user"].contains($0) }
                if !locked.isEmpty {
                    return (locked, "the access granting admin rights (the daemon's own) is never moved")
                }
            }
            return nil
        }
    }

    /// The first reference of a created or updated record that points nowhere, or nil.
    static func missingReference(_ change: ConfigDiff.Change, available: Set<String>) -> String? {
        guard let after = change.after?.objectValue else { return nil }
        for (field, _) in ConfigNormalizer.references(change.kind) {
            guard let value = after[field]?.stringValue else { continue }
            if value.hasPrefix("?") || !available.contains(value) { return value }
        }
        if change.kind == .operation, let flow = after["options"]?["flow"]?.stringValue,
            flow.hasPrefix("flow:"), !available.contains(flow)
        {
            return flow
        }
        if change.kind == .folder, let parent = folderParent(change.key), !available.contains(parent) {
            return parent
        }
        return nil
    }

    /// `folder:/a/b` → `folder:/a`; nil at the root.
    static func folderParent(_ key: String) -> String? {
        let path = key.dropFirst("folder:".count)
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return "folder:" + path[..<slash]
    }

    static func steps(
        for changes: [ConfigDiff.Change], desired: ConfigurationSnapshot, current: ConfigurationSnapshot,
        targetIDs: [String: String]
    ) -> [ConfigPlan.Step] {
        var writes: [ConfigPlan.Step] = []
        var links: [ConfigPlan.Step] = []
        var unlinks: [ConfigPlan.Step] = []
        var deletes: [ConfigPlan.Step] = []
        let takenIDs = Set(targetIDs.values)
        let deleted = Set(changes.filter { $0.action == .delete }.map(\.key))
        for change in changes {
            let after = change.after?.objectValue ?? JSONObject()
            let cycle = linkFields(change.kind)
            switch change.action {
            case .create:
                var body = after
                var link = JSONObject()
                for field in cycle {
                    if let value = body[field], value != .null { link[field] = value }
                    if body[field] != nil { body[field] = .null }
                }
                if change.kind == .folder {
                    body["parent"] = .null
                    if let parent = folderParent(change.key) { link["parent"] = .string(parent) }
                }
                if change.kind == .settings {
                    writes.append(.init(kind: .settings, key: change.key, action: .update, targetID: nil, body: body))
                    continue
                }
                if keepsID(change.kind) {
                    let id: String? =
                        switch change.kind {
                        case .flow: String(change.key.dropFirst("flow:".count))
                        case .panel: String(change.key.dropFirst("panel:".count))
                        default: desired.entities[change.key]?.sourceID
                        }
                    if let id, !takenIDs.contains(id) { body["id"] = .string(id) }
                }
                writes.append(.init(kind: change.kind, key: change.key, action: .create, targetID: nil, body: body))
                if !link.isEmpty {
                    links.append(.init(kind: change.kind, key: change.key, action: .link, targetID: nil, body: link))
                }
            case .update:
                var body = JSONObject()
                var link = JSONObject()
                for field in change.fields {
                    guard let value = after[field] else { continue }
                    if cycle.contains(field) { link[field] = value } else { body[field] = value }
                }
                let id = targetIDs[change.key]
                if !body.isEmpty {
                    writes.append(.init(kind: change.kind, key: change.key, action: .update, targetID: id, body: body))
                }
                if !link.isEmpty {
                    // A unique pointer is freed before another record takes it.
                    if change.kind == .operation || change.kind == .flow {
                        var cleared = JSONObject()
                        for field in link.keys { cleared[field] = .null }
                        unlinks.append(
                            .init(kind: change.kind, key: change.key, action: .unlink, targetID: id, body: cleared))
                    }
                    links.append(.init(kind: change.kind, key: change.key, action: .link, targetID: id, body: link))
                }
            case .delete:
                let before = change.before?.objectValue ?? JSONObject()
                // What a deleted parent takes with it is not deleted again.
                if cascades(change, before: before, deleted: deleted) { continue }
                let id = targetIDs[change.key]
                if change.kind == .operation {
                    let pointers = ["resolve", "reject"].filter { (before[$0] ?? .null) != .null }
                    if !pointers.isEmpty {
                        var cleared = JSONObject()
                        for field in pointers { cleared[field] = .null }
                        unlinks.append(
                            .init(kind: .operation, key: change.key, action: .unlink, targetID: id, body: cleared))
                    }
                }
                deletes.append(
                    .init(kind: change.kind, key: change.key, action: .delete, targetID: id, body: JSONObject()))
            }
        }
        // Pointers of flows to operations about to go are cleared with the other unlinks.
        return writes + unlinks + links + deletes
    }

    /// Whether deleting the parent in the same plan deletes this record too (Directus's cascades).
    static func cascades(_ change: ConfigDiff.Change, before: JSONObject, deleted: Set<String>) -> Bool {
        func gone(_ field: String) -> Bool { before[field]?.stringValue.map(deleted.contains) ?? false }
        switch change.kind {
        case .permission: return gone("policy")
        case .access: return gone("policy") || gone("role")
        case .operation: return gone("flow")
        case .panel: return gone("dashboard")
        case .preset: return gone("role")
        default: return false
        }
    }
}

extension ConfigPlan.Step {
    /// Why a step cannot be sent: a reference to a record the target does not have.
    public struct Unresolved: Error, Sendable, CustomStringConvertible {
        public var key: String
        public var reference: String
        public var description: String { "\(key) refers to \(reference), which the target does not have" }

        public init(key: String, reference: String) {
            self.key = key
            self.reference = reference
        }
    }

    /// The body as sent: each reference (a logical key) replaced by the target's id of the record it names.
    public func resolvedBody(ids: [String: String]) throws(Unresolved) -> JSONObject {
        var body = self.body
        func resolve(_ value: JSONValue) throws(Unresolved) -> JSONValue {
            guard let key = value.stringValue else { return value }
            guard let id = ids[key] else { throw Unresolved(key: self.key, reference: key) }
            return .string(id)
        }
        var fields = Array(ConfigNormalizer.references(kind).keys)
        if kind == .folder { fields.append("parent") }
        for field in fields {
            if let value = body[field] { body[field] = try resolve(value) }
        }
        if kind == .operation, case .object(var options)? = body["options"], let flow = options["flow"],
            flow.stringValue?.hasPrefix("flow:") == true
        {
            options["flow"] = try resolve(flow)
            body["options"] = .object(options)
        }
        return body
    }
}

/// Putting back what an apply changed, from the rows read before it (CONFIG-SPEC section 7: a rollback is a new
/// forward write, and lossy).
public enum ConfigRestore {
    /// A row read before the apply, as a create sends it again: without alias fields (which would replace the
    /// children), audit fields and masked secrets; with its id when the id is a UUID (an integer id is the
    /// target's to assign, so the record comes back under a new one); the fields that close a cycle left out (set
    /// by `links(of:)` once everything exists).
    public static func recreateBody(of row: JSONObject, kind: ConfigKind) -> JSONObject {
        var body = JSONObject()
        let drop = ConfigNormalizer.auditFields.union(ConfigNormalizer.dropped(kind)).subtracting(["id"])
        for (field, value) in row where !drop.contains(field) {
            if ConfigPlanner.linkFields(kind).contains(field) { continue }
            guard let kept = ConfigNormalizer.withoutMasks(value) else { continue }
            body[field] = kept
        }
        if kind.hasIntegerKey { body.removeValue(forKey: "id") }
        return body
    }

    /// The fields of a row that close a cycle, with their values (null ones left out).
    public static func links(of row: JSONObject, kind: ConfigKind) -> JSONObject {
        var body = JSONObject()
        for field in ConfigPlanner.linkFields(kind) {
            if let value = row[field], value != .null { body[field] = value }
        }
        return body
    }

    /// The values `fields` had in the row read before the apply (a field it lacked is left alone), without masks.
    public static func previousValues(of row: JSONObject, fields: some Sequence<String>) -> JSONObject {
        var body = JSONObject()
        for field in fields {
            guard let value = row[field], let kept = ConfigNormalizer.withoutMasks(value) else { continue }
            body[field] = kept
        }
        return body
    }
}
