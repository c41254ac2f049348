import DirectusSchema

/// Turns the rows read from an instance into a `ContentSet`: pure, the one way the daemon, `plan` and the tests
/// see reference data.
public enum ContentNormalizer {
    /// The rules, the schema facts of each collection, and the limits.
    public struct Scope: Sendable {
        public var rules: [ContentRule]
        public var schemas: [String: ContentSchema]
        public var limits: ContentLimits

        /// The scope of `rules` under `snapshot` (the schema of the instance the rows come from, or of the
        /// revision); throws for a rule the schema cannot carry.
        public init(
            rules: [ContentRule], snapshot: Snapshot, limits: ContentLimits = ContentLimits()
        )
            throws(ContentError)
        {
            var schemas: [String: ContentSchema] = [:]
            for rule in rules {
                let schema = try ContentSchema.of(rule.collection, in: snapshot)
                if let problem = schema.problem(with: rule) {
                    throw ContentError(collection: rule.collection, reason: problem)
                }
                schemas[rule.collection] = schema
            }
            self.init(rules: rules, schemas: schemas, limits: limits)
        }

        public init(rules: [ContentRule], schemas: [String: ContentSchema], limits: ContentLimits = ContentLimits()) {
            self.rules = rules
            self.schemas = schemas
            self.limits = limits
        }

        public func rule(_ collection: String) -> ContentRule? { rules.first { $0.collection == collection } }

        /// The collections in the order their rows are written: those a collection refers to first (references
        /// within a collection, and cycles, are set by a later link step); by name where the references leave a
        /// choice.
        public var writeOrder: [String] {
            let names = rules.map(\.collection)
            var remaining = names.sorted(by: jsStringLess)
            var ordered: [String] = []
            while !remaining.isEmpty {
                let ready = remaining.first { name in
                    let parents = Set(schemas[name]?.references.values.map { $0 } ?? []).subtracting([name])
                    return parents.allSatisfy { !remaining.contains($0) }
                }
                // A cycle between collections: the first by name goes, its back-references linked afterwards.
                let next = ready ?? remaining[0]
                ordered.append(next)
                remaining.removeAll { $0 == next }
            }
            return ordered
        }
    }

    /// The canonical set of `rows` (per collection, as read with `fields=*`); throws when a collection is over a
    /// limit.
    public static func normalize(_ rows: [String: [JSONObject]], scope: Scope) throws(ContentError) -> ContentSet {
        // Every promoted row's key by its primary key, so that references can be written as keys.
        var keysByID: [String: [String: String]] = [:]
        for rule in scope.rules {
            guard let schema = scope.schemas[rule.collection] else { continue }
            let identity = schema.identityFields(rule)
            var byID: [String: String] = [:]
            for row in rows[rule.collection] ?? [] {
                guard let id = row[schema.primaryKey], let key = ContentSet.key(of: row, identity: identity) else {
                    continue
                }
                byID[idText(id)] = key
            }
            keysByID[rule.collection] = byID
        }
        var set = ContentSet()
        for rule in scope.rules {
            guard let schema = scope.schemas[rule.collection] else { continue }
            let read = rows[rule.collection] ?? []
            if read.count > scope.limits.maxRows {
                throw ContentError(
                    collection: rule.collection,
                    reason: "\(read.count) rows, over the limit of \(scope.limits.maxRows) (content.max-rows): "
                        + "reference data, not a data migration")
            }
            let identity = schema.identityFields(rule)
            let compared = schema.comparedFields(rule)
            var collection = ContentSet.Collection(name: rule.collection)
            var counts: [String: Int] = [:]
            var bytes = 0
            for row in read {
                guard let key = ContentSet.key(of: row, identity: identity) else {
                    collection.withoutIdentity += 1
                    continue
                }
                counts[key, default: 0] += 1
                var fields = JSONObject()
                var unresolved: [String] = []
                for field in compared.sorted(by: jsStringLess) {
                    guard var value = row[field] else { continue }
                    if let related = schema.references[field], scope.rule(related) != nil, !value.isNull {
                        if let target = keysByID[related]?[idText(value)] {
                            value = .string(target)
                        } else {
                            unresolved.append(field)
                        }
                    }
                    fields[field] = value
                }
                bytes += JSONWriter.canonical.bytes(.object(fields)).count + key.utf8.count
                collection.rows[key] = ContentSet.Row(
                    key: key, id: row[schema.primaryKey], fields: fields, unresolved: unresolved)
            }
            if bytes > scope.limits.maxBytes {
                throw ContentError(
                    collection: rule.collection,
                    reason: "\(bytes) bytes of rows, over the limit of \(scope.limits.maxBytes) (content.max-bytes)")
            }
            for (key, count) in counts where count > 1 {
                collection.duplicates[key] = count
                collection.rows.removeValue(forKey: key)
            }
            set.collections[rule.collection] = collection
        }
        return set
    }

    /// A primary key as text, whatever JSON type the instance gave it (`1` and `"1"` are the same row).
    public static func idText(_ value: JSONValue) -> String {
        value.stringValue ?? JSONWriter.canonical.string(value)
    }
}
