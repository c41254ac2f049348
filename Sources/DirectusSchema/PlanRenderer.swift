/// Writes a `Plan` for people (like `terraform plan`) or as JSON for scripts.
public enum PlanRenderer {
    /// The readable plan. With `color`, ANSI colours mark creates, updates and deletes.
    public static func text(_ plan: Plan, color: Bool = false) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        guard !plan.isEmpty else { return "No changes. The target schema matches.\n" }
        let summary = plan.summary
        var lines: [String] = []
        var headline =
            "Plan: \(summary.creates) to create, \(summary.updates) to update, \(summary.deletes) to delete"
        if summary.destructive > 0 { headline += " (\(summary.destructive) destructive)" }
        lines.append(headline + ".")
        lines.append("")
        for change in plan.changes {
            let noun = noun(change.entity)
            var subject = "\(noun) \(change.target)"
            if change.entity == .relation, let related = change.relatedCollection { subject += " -> \(related)" }
            let marker = change.isDestructive ? paint(" (destructive)", "1;31") : ""
            switch change.action {
            case .create:
                lines.append(paint("+ \(subject)", "32"))
            case .delete:
                lines.append(paint("- \(subject)", "31") + marker)
            case .replace:
                let detail =
                    change.details.first.map {
                        ": \($0.path) \(PlanBuilder.text($0.from)) -> \(PlanBuilder.text($0.to))"
                    } ?? ""
                lines.append(paint("-/+ \(subject)\(detail)", "33") + marker)
            case .update:
                if change.details.count == 1, let detail = change.details.first {
                    lines.append(paint("~ \(subject): \(describe(detail))", "33") + marker)
                } else {
                    lines.append(paint("~ \(subject)", "33") + marker)
                    for detail in change.details { lines.append("    \(describe(detail))") }
                }
            }
            if change.isDestructive {
                for reason in change.destructiveReasons { lines.append(paint("    ! \(reason)", "31")) }
            }
        }
        if !plan.warnings.isEmpty {
            lines.append("")
            lines.append(paint("Directus will not apply this exactly as planned:", "1;33"))
            for warning in plan.warnings { lines.append(paint("! \(warning)", "33")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func noun(_ entity: EntityKind) -> String {
        switch entity {
        case .collection: "collection"
        case .field: "field"
        case .systemField: "system field"
        case .relation: "relation"
        }
    }

    /// `max_length 255 -> 100`; `schema.` is implied for column properties.
    private static func describe(_ detail: Plan.Detail) -> String {
        let path = detail.path.hasPrefix("schema.") ? String(detail.path.dropFirst(7)) : detail.path
        return "\(path) \(PlanBuilder.text(detail.from)) -> \(PlanBuilder.text(detail.to))"
    }

    /// The plan as JSON (`format: 1`), for scripts.
    public static func json(_ plan: Plan) -> JSONValue {
        let summary = plan.summary
        var root = JSONObject()
        root["format"] = 1
        root["summary"] = [
            "create": .number(JSONNumber(summary.creates)), "update": .number(JSONNumber(summary.updates)),
            "delete": .number(JSONNumber(summary.deletes)), "destructive": .number(JSONNumber(summary.destructive)),
        ]
        root["changes"] = .array(
            plan.changes.map { change in
                var object = JSONObject()
                object["action"] = .string(change.action.rawValue)
                object["entity"] = .string(change.entity.rawValue)
                object["collection"] = .string(change.collection)
                if let field = change.field { object["field"] = .string(field) }
                if let related = change.relatedCollection { object["related_collection"] = .string(related) }
                object["destructive"] = .bool(change.isDestructive)
                if change.isDestructive { object["reasons"] = .array(change.destructiveReasons.map(JSONValue.string)) }
                if !change.details.isEmpty {
                    object["details"] = .array(
                        change.details.map { detail in
                            var item = JSONObject()
                            item["path"] = .string(detail.path)
                            if let from = detail.from { item["from"] = from }
                            if let to = detail.to { item["to"] = to }
                            return .object(item)
                        })
                }
                return .object(object)
            })
        root["warnings"] = .array(
            plan.warnings.map { warning in
                var object = JSONObject()
                object["effect"] = .string(String(describing: warning.effect))
                object["entity"] = .string(warning.list.rawValue)
                object["collection"] = .string(warning.collection)
                if let field = warning.field { object["field"] = .string(field) }
                object["reason"] = .string(warning.reason)
                return .object(object)
            })
        return .object(root)
    }
}
