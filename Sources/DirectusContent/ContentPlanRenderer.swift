import DirectusSchema

/// A content plan for people (`text`) and for tools and history (`json`): one rendering, used by `plan`, `show`,
/// the audit log and the web view alike.
public enum ContentPlanRenderer {
    /// How many rows of each action a rendering names (a sample; the counts are whole).
    public static let sampleSize = 5

    /// `{"summary":{…},"collections":[{collection,policy,line,creates,updates,deletes,target_only,not_updated,
    /// sample:[{key,action,fields}]}],"refused":[…],"withheld":[…],"target_hash":…,"content_key":…}`.
    public static func json(_ plan: ContentPlan) -> JSONValue {
        func count(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
        func exclusions(_ list: [ContentPlan.Exclusion]) -> JSONValue {
            .array(
                list.map {
                    .object(
                        JSONObject([
                            ("collection", .string($0.collection)), ("key", .string($0.key)),
                            ("reason", .string($0.reason)),
                        ]))
                })
        }
        var collections: [JSONValue] = []
        for collection in plan.collections
        where !collection.changes.isEmpty || collection.targetOnly > 0
            || collection.notUpdated > 0
        {
            var sample: [JSONValue] = []
            for list in [collection.creates, collection.updates, collection.deletes] {
                for change in list.prefix(sampleSize) {
                    var object = JSONObject()
                    object["key"] = .string(change.key)
                    object["action"] = .string(change.action.rawValue)
                    if !change.fields.isEmpty { object["fields"] = .array(change.fields.map(JSONValue.string)) }
                    sample.append(.object(object))
                }
            }
            collections.append(
                .object(
                    JSONObject([
                        ("collection", .string(collection.collection)), ("policy", .string(collection.policy.rawValue)),
                        ("line", .string(collection.summaryLine)), ("creates", count(collection.creates.count)),
                        ("updates", count(collection.updates.count)), ("deletes", count(collection.deletes.count)),
                        ("target_only", count(collection.targetOnly)), ("not_updated", count(collection.notUpdated)),
                        ("sample", .array(sample)),
                    ])))
        }
        let summary = plan.summary
        var root = JSONObject()
        root["summary"] = .object(
            JSONObject([
                ("creates", count(summary.creates)), ("updates", count(summary.updates)),
                ("deletes", count(summary.deletes)), ("destructive", count(summary.destructive)),
            ]))
        root["collections"] = .array(collections)
        root["refused"] = exclusions(plan.refused)
        root["withheld"] = exclusions(plan.withheld)
        root["target_hash"] = .string(plan.targetHash)
        root["content_key"] = .string(plan.contentKey)
        return .object(root)
    }

    /// Each collection's line (`countries: +3 rows, ~1 row (name), -0`), its sample under it, then what is refused
    /// and withheld.
    public static func text(_ plan: ContentPlan) -> String { text(json: json(plan)) }

    /// The same text from the stored JSON (history keeps the JSON).
    public static func text(json: JSONValue) -> String {
        var lines: [String] = []
        let collections = json["collections"]?.arrayValue ?? []
        for collection in collections {
            lines.append(collection["line"]?.stringValue ?? "")
            for row in collection["sample"]?.arrayValue ?? [] {
                let mark =
                    switch row["action"]?.stringValue {
                    case "create": "+"
                    case "delete": "-"
                    default: "~"
                    }
                let fields = row["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
                lines.append(
                    "  \(mark) \(row["key"]?.stringValue ?? "?")"
                        + (fields.isEmpty ? "" : " (\(fields.joined(separator: ", ")))"))
            }
        }
        for (name, label) in [("refused", "refused"), ("withheld", "withheld")] {
            for entry in json[name]?.arrayValue ?? [] {
                lines.append(
                    "  \(label): \(entry["collection"]?.stringValue ?? "?") \(entry["key"]?.stringValue ?? "?"): "
                        + (entry["reason"]?.stringValue ?? ""))
            }
        }
        return lines.isEmpty ? "no reference data changes" : lines.joined(separator: "\n")
    }

    /// One line for an audit message: the collections' lines joined.
    public static func summary(json: JSONValue) -> String {
        let lines = (json["collections"]?.arrayValue ?? []).compactMap { $0["line"]?.stringValue }
        return lines.isEmpty ? "no reference data changes" : lines.joined(separator: "; ")
    }
}
