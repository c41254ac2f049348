/// What a diff will do, entity by entity, classified for people and for policies.
public struct Plan: Sendable, Hashable {
    /// What happens to one entity.
    public enum Action: String, Sendable, Hashable {
        case create
        case update
        case delete
        /// Deleted and created again (a field changing to or from `alias`).
        case replace
    }

    /// One property change inside an update.
    public struct Detail: Sendable, Hashable {
        /// The property path (`meta.note`, `schema.max_length`, `meta.special[1]`).
        public var path: String
        /// The value before, `nil` when the property did not exist.
        public var from: JSONValue?
        /// The value after, `nil` when the property is removed.
        public var to: JSONValue?
    }

    /// One entity's change.
    public struct Change: Sendable, Hashable {
        public var action: Action
        public var entity: EntityKind
        public var collection: String
        public var field: String?
        /// For relations: the related collection, when known.
        public var relatedCollection: String?
        public var details: [Detail]
        /// Why the change can lose data or break writes, empty when it cannot.
        public var destructiveReasons: [String]

        public var isDestructive: Bool { !destructiveReasons.isEmpty }

        /// `articles` or `articles.title`.
        public var target: String { field.map { "\(collection).\($0)" } ?? collection }
    }

    /// Counts by action.
    public struct Summary: Sendable, Hashable {
        public var creates = 0
        public var updates = 0
        public var deletes = 0
        public var destructive = 0

        public init(creates: Int = 0, updates: Int = 0, deletes: Int = 0, destructive: Int = 0) {
            self.creates = creates
            self.updates = updates
            self.deletes = deletes
            self.destructive = destructive
        }

        public var total: Int { creates + updates + deletes }
    }

    public var changes: [Change]
    /// Where Directus will not do what the diff says.
    public var warnings: [ApplyLimitations.Limitation]

    public var isEmpty: Bool { changes.isEmpty }
    public var isDestructive: Bool {
        changes.contains(where: \.isDestructive) || warnings.contains { $0.effect == .deletesEntity }
    }

    public var summary: Summary {
        var summary = Summary()
        for change in changes {
            switch change.action {
            case .create: summary.creates += 1
            case .update: summary.updates += 1
            case .delete: summary.deletes += 1
            case .replace:
                summary.deletes += 1
                summary.creates += 1
            }
            if change.isDestructive { summary.destructive += 1 }
        }
        return summary
    }
}
