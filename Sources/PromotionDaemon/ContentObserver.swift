import DirectusClient
import DirectusContent
import DirectusSchema

/// Reads reference data over REST and plans it: the one way the daemon and `plan` see content.
public enum ContentObserver {
    /// A target's reference data, read and planned against a revision's.
    public struct Observation: Sendable {
        /// The rows as read, by collection (what compensation restores).
        public var before: [String: [JSONObject]]
        public var plan: ContentPlan
        /// The target's content in canonical form: what drift compares and expectations hold.
        public var observed: ContentSet
        public var scope: ContentNormalizer.Scope
    }

    /// The rows of every collection of `scope` on `client`; a collection `schema` (the instance's own, when it may
    /// differ from the scope's) lacks is read as empty (a schema phase of the same release creates it).
    static func rows(
        on client: DirectusClient, scope: ContentNormalizer.Scope, schema: Snapshot? = nil
    ) async throws(DirectusClientError) -> [String: [JSONObject]] {
        var rows: [String: [JSONObject]] = [:]
        for rule in scope.rules {
            let own = schema.map { try? ContentSchema.of(rule.collection, in: $0) } ?? scope.schemas[rule.collection]
            guard let own else {
                rows[rule.collection] = []
                continue
            }
            rows[rule.collection] = try await client.items(
                rule.collection, primaryKey: own.primaryKey, maxRows: scope.limits.maxRows)
        }
        return rows
    }

    /// Why reference data cannot be read or promoted, as a client error (the engine's failure classes know it).
    static func refusal(_ error: ContentError) -> DirectusClientError {
        .malformedResponse(detail: error.description)
    }

    /// The source's reference data as a revision holds it, read under the source's own schema (`snapshot`).
    public static func source(
        on client: DirectusClient, rules: [ContentRule], snapshot: Snapshot, limits: ContentLimits
    ) async throws(DirectusClientError) -> ContentSet {
        let scope: ContentNormalizer.Scope
        do {
            scope = try ContentNormalizer.Scope(rules: rules, snapshot: snapshot, limits: limits)
        } catch {
            throw refusal(error)
        }
        return try await source(on: client, scope: scope)
    }

    /// The source's reference data under a scope made from its schema.
    public static func source(
        on client: DirectusClient, scope: ContentNormalizer.Scope
    ) async throws(DirectusClientError) -> ContentSet {
        let read = try await rows(on: client, scope: scope)
        do {
            return try ContentNormalizer.normalize(read, scope: scope)
        } catch {
            throw refusal(error)
        }
    }

    /// Reads `client`'s reference data and plans `desired` against it, under the revision's schema (`revision`:
    /// the schema the target has once the release's schema phase is done); `targetSchema` is the target's own,
    /// which says which collections exist there yet.
    public static func observe(
        desired: ContentSet, on client: DirectusClient, rules: [ContentRule], revision: Snapshot,
        targetSchema: Snapshot, limits: ContentLimits, keepDeletions: Bool
    ) async throws(DirectusClientError) -> Observation {
        // A rollback's schema may lack a collection the release it undoes created: it goes with its rows, and its
        // rows are not planned.
        let rules = rules.filter { (try? ContentSchema.of($0.collection, in: revision)) != nil }
        let scope: ContentNormalizer.Scope
        do {
            scope = try ContentNormalizer.Scope(rules: rules, snapshot: revision, limits: limits)
        } catch {
            throw refusal(error)
        }
        let read = try await rows(on: client, scope: scope, schema: targetSchema)
        let observed: ContentSet
        do {
            observed = try ContentNormalizer.normalize(read, scope: scope)
        } catch {
            throw refusal(error)
        }
        let plan = ContentPlanner.plan(desired: desired, current: observed, scope: scope, keepDeletions: keepDeletions)
        return Observation(before: read, plan: plan, observed: observed, scope: scope)
    }
}
