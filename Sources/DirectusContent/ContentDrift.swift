import DirectusSchema

/// How an instance's reference data differs from what it is expected to have: rows that appeared, were removed or
/// changed (with the fields), per collection. Pure; what drift records and shows.
public struct ContentDrift: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public enum Change: String, Sendable, Hashable {
            case appeared, removed, changed
        }

        public var collection: String
        public var key: String
        public var change: Change
        public var fields: [String]
    }

    public var rows: [Row]

    public var isEmpty: Bool { rows.isEmpty }

    /// The differences of `observed` from `expected`, collections and keys in order.
    public init(expected: ContentSet, observed: ContentSet) {
        var rows: [Row] = []
        let names = Set(expected.collections.keys).union(observed.collections.keys).sorted(by: jsStringLess)
        for name in names {
            let before = expected.collections[name]?.rows ?? [:]
            let after = observed.collections[name]?.rows ?? [:]
            for key in Set(before.keys).union(after.keys).sorted(by: jsStringLess) {
                switch (before[key], after[key]) {
                case (nil, .some): rows.append(Row(collection: name, key: key, change: .appeared, fields: []))
                case (.some, nil): rows.append(Row(collection: name, key: key, change: .removed, fields: []))
                case (let old?, let new?):
                    let fields = Set(old.fields.keys).union(new.fields.keys).filter { old.fields[$0] != new.fields[$0] }
                    if !fields.isEmpty {
                        rows.append(Row(collection: name, key: key, change: .changed, fields: fields.sorted()))
                    }
                case (nil, nil): break
                }
            }
        }
        self.rows = rows
    }

    /// `3 reference data rows differ: countries FR changed (name); cities Lyon appeared`, the first few and a count.
    public var summary: String {
        let words = rows.prefix(5).map { row -> String in
            switch row.change {
            case .appeared: "\(row.collection) \(row.key) appeared"
            case .removed: "\(row.collection) \(row.key) was removed"
            case .changed: "\(row.collection) \(row.key) changed (\(row.fields.joined(separator: ", ")))"
            }
        }
        let more = rows.count > 5 ? " and \(rows.count - 5) more" : ""
        return "\(rows.count) reference data row\(rows.count == 1 ? "" : "s") differ\(rows.count == 1 ? "s" : ""): "
            + words.joined(separator: "; ") + more
    }

    /// `[{collection, key, change, fields}]`.
    public var json: JSONValue {
        .array(
            rows.map { row in
                .object(
                    JSONObject([
                        ("collection", .string(row.collection)), ("key", .string(row.key)),
                        ("change", .string(row.change.rawValue)), ("fields", .array(row.fields.map(JSONValue.string))),
                    ]))
            })
    }
}
