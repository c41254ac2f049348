import DirectusSchema

/// A configuration plan in the terms of a schema plan, for people (`text`) and for tools and history (`json`): one
/// rendering, used by `plan`, `diff`, `status`, the web view and the audit log alike.
public enum ConfigPlanRenderer {
    /// `{"summary":{…},"changes":[{kind,key,action,fields,concerns,destructive}],"held":[…],"refused":[…],
    /// "withheld":[…],"ambiguous":{…},"target_hash":…,"content_key":…}`.
    public static func json(_ plan: ConfigPlan) -> JSONValue {
        func change(_ change: ConfigDiff.Change) -> JSONValue {
            var object = JSONObject()
            object["kind"] = .string(change.kind.rawValue)
            object["key"] = .string(change.key)
            object["action"] = .string(change.action.rawValue)
            if !change.fields.isEmpty { object["fields"] = .array(change.fields.map(JSONValue.string)) }
            object["concerns"] = .array(change.concerns.map { .string($0.description) })
            object["destructive"] = .bool(change.isDestructive)
            return .object(object)
        }
        func exclusions(_ list: [ConfigPlan.Exclusion]) -> JSONValue {
            .array(list.map { .object(JSONObject([("key", .string($0.key)), ("reason", .string($0.reason))])) })
        }
        let summary = plan.summary
        var root = JSONObject()
        root["summary"] = .object(
            JSONObject([
                ("creates", .number(JSONNumber(summary.creates))), ("updates", .number(JSONNumber(summary.updates))),
                ("deletes", .number(JSONNumber(summary.deletes))),
                ("destructive", .number(JSONNumber(summary.destructive))),
            ]))
        root["changes"] = .array(plan.changes.map(change))
        root["held"] = .array(plan.held.map(change))
        root["refused"] = exclusions(plan.refused)
        root["withheld"] = exclusions(plan.withheld)
        root["ambiguous"] = .object(
            JSONObject(
                plan.ambiguous.sorted { $0.key < $1.key }.map { key, counts in
                    (
                        key,
                        .object(
                            JSONObject([
                                ("source", .number(JSONNumber(counts.source))),
                                ("target", .number(JSONNumber(counts.target))),
                            ]))
                    )
                }))
        root["target_hash"] = .string(plan.targetHash)
        root["content_key"] = .string(plan.contentKey)
        return .object(root)
    }

    /// One line per change (`+` create, `~` update, `-` delete), its concerns indented under it, then what is held,
    /// refused and withheld.
    public static func text(_ plan: ConfigPlan) -> String {
        text(json: json(plan))
    }

    /// The same text from the stored JSON (history keeps the JSON).
    public static func text(json: JSONValue) -> String {
        var lines: [String] = []
        func describe(_ change: JSONValue, prefix: String = "") {
            let action = change["action"]?.stringValue ?? "?"
            let sign = action == "create" ? "+" : action == "delete" ? "-" : "~"
            var line = "  \(prefix)\(sign) \(change["key"]?.stringValue ?? "?")"
            let fields = (change["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !fields.isEmpty { line += " (\(fields.joined(separator: ", ")))" }
            if change["destructive"] == .bool(true) { line += "  [destructive]" }
            lines.append(line)
            for concern in (change["concerns"]?.arrayValue ?? []).compactMap(\.stringValue) {
                lines.append("      \(concern)")
            }
        }
        let changes = json["changes"]?.arrayValue ?? []
        if changes.isEmpty { lines.append("  no configuration changes") }
        for change in changes { describe(change) }
        let held = json["held"]?.arrayValue ?? []
        if !held.isEmpty {
            lines.append("  held until a person says which record is which:")
            for change in held { describe(change, prefix: "  ") }
        }
        for (title, name) in [("never changed", "refused"), ("kept", "withheld")] {
            let list = json[name]?.arrayValue ?? []
            if list.isEmpty { continue }
            lines.append("  \(title):")
            for item in list {
                lines.append("    \(item["key"]?.stringValue ?? "?"): \(item["reason"]?.stringValue ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `2 to create, 1 to update (1 destructive)`.
    public static func summary(json: JSONValue) -> String {
        let summary = json["summary"]
        func count(_ name: String) -> Int { summary?[name]?.numberValue?.intValue ?? 0 }
        var parts: [String] = []
        if count("creates") > 0 { parts.append("\(count("creates")) to create") }
        if count("updates") > 0 { parts.append("\(count("updates")) to update") }
        if count("deletes") > 0 { parts.append("\(count("deletes")) to delete") }
        var text = parts.isEmpty ? "no changes" : parts.joined(separator: ", ")
        if count("destructive") > 0 { text += " (\(count("destructive")) destructive)" }
        return text
    }
}
