import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension WebPages {
    /// A promotion's page: what it is, its plan (as `show` prints it), how to decide, and its audit log.
    static func promotion(id: Int64, _ context: Context) throws -> String? {
        guard let detail = try PromotionDetail(id: id, store: context.store, configuration: context.configuration)
        else { return nil }
        let record = detail.view.record
        var facts: [(String, HTML)] = [
            ("State", badge(record.state)),
            ("Revision", HTML("r\(record.revisionID)")),
            ("Target", HTML(record.target)),
            ("Created", when(record.createdAt, context)),
            ("Updated", when(record.updatedAt, context)),
            ("Applies sent", HTML("\(record.attempts)")),
        ]
        if let required = detail.view.requiredApprovals {
            let given = detail.view.approvers.isEmpty ? "none" : detail.view.approvers.joined(separator: ", ")
            facts.append(
                ("Approvals", HTML(required == 0 ? "\(given) (automatic)" : "\(given) (\(required) required)")))
        }
        if let diff = detail.view.diff, !diff.directusHash.isEmpty {
            facts.append(("Diff hash", HTML.tag("code", [], text: diff.directusHash)))
        }
        if let error = record.lastError { facts.append(("Error", HTML(error))) }
        var content = HTML.tag("h1", [], text: "Promotion \(record.id): r\(record.revisionID) to \(record.target)")
        content += HTML.tag(
            "section", [("class", "summary"), ("aria-label", "Summary")],
            HTML.tag("dl", [], HTML.join(facts.map { HTML.tag("dt", [], text: $0.0) + HTML.tag("dd", [], $0.1) })))
        content += decision(detail, context)
        content += HTML.tag("h2", [], text: "Plan")
        if let plan = detail.plan {
            content += self.plan(html: plan, rowCounts: rowCounts(in: detail.events))
        } else if detail.configurationPlan != nil || detail.contentPlan != nil {
            content += HTML.tag(
                "p", [], text: "The schema is already in place: only configuration or reference data changes.")
        } else {
            content += HTML.tag("p", [], text: "No plan yet: the target has not been diffed for this revision.")
        }
        if let configuration = detail.configurationPlan {
            content += HTML.tag("h2", [], text: "Configuration")
            content += configurationPlan(html: configuration)
        }
        if let plan = detail.contentPlan {
            content += HTML.tag("h2", [], text: "Reference data")
            content += contentPlan(html: plan)
        }
        content += HTML.tag("h2", [], text: "Events")
        content += HTML.table(
            caption: "The audit log of promotion \(record.id)", headers: ["At", "Actor", "Event", "Message"],
            rows: detail.events.map { event in
                [when(event.at, context), HTML(event.actor), HTML(event.kind), HTML(event.message)]
            })
        return layout(title: "Promotion \(record.id)", section: "", context, content)
    }

    /// How to decide about a promotion that waits for a person: the form (decisions on, signed in), a way to sign
    /// in, or the CLI command, as the promotion's machine would take it.
    static func decision(_ detail: PromotionDetail, _ context: Context) -> HTML {
        let record = detail.view.record
        guard record.state.accepts(.approve) || record.state.accepts(.reject),
            let engine = try? context.configuration.engineConfiguration()
        else { return .empty }
        let machine = engine.machine(for: record)
        var content = HTML.tag("h2", [("id", "decide")], text: "Decide")
        if let step = StatusReport.nextStep(for: record, machine: machine) {
            content += HTML.tag("p", [], text: step.text)
        }
        guard context.decisionsEnabled else {
            content += HTML.tag("p", [], text: "This web view is read-only. On the daemon's machine, run:")
            content += command("directus-promoter approve \(record.id)")
            content += command("directus-promoter reject \(record.id)")
            return HTML.tag("section", [("aria-labelledby", "decide")], content)
        }
        guard let decider = context.decider else {
            content += HTML.tag(
                "p", [],
                HTML.link(
                    "/sign-in?next=\(FormEncoding.encode("/promotions/\(record.id)"))", "Sign in to approve or reject"))
            return HTML.tag("section", [("aria-labelledby", "decide")], content)
        }
        var fields =
            HTML.void("input", [("type", "hidden"), ("name", "token"), ("value", context.token(record.id))])
            + HTML.tag(
                "legend", [], text: "Your decision, as \(decider)")
            + HTML.tag(
                "div", [("class", "row")],
                HTML.tag("label", [("for", "comment")], text: "Comment (kept in the audit log)")
                    + HTML.tag("textarea", [("id", "comment"), ("name", "comment"), ("rows", "2")]))
        if detail.plan?.isDestructive == true || machine.plannedDestructive {
            fields += HTML.tag(
                "div", [("class", "row check")],
                HTML.void(
                    "input",
                    [
                        ("type", "checkbox"), ("id", "allow_destructive"), ("name", "allow_destructive"),
                        ("value", "yes"),
                    ])
                    + HTML.tag("label", [("for", "allow_destructive")], text: " I approve the destructive changes"))
        }
        if machine.predictedFailure != nil {
            fields += HTML.tag(
                "div", [("class", "row check")],
                HTML.void(
                    "input",
                    [("type", "checkbox"), ("id", "despite_warnings"), ("name", "despite_warnings"), ("value", "yes")])
                    + HTML.tag(
                        "label", [("for", "despite_warnings")],
                        text: " Send it although the plan predicts that Directus fails"))
        }
        var buttons = HTML.empty
        if record.state.accepts(.approve) {
            buttons += HTML.tag(
                "button", [("type", "submit"), ("name", "decision"), ("value", "approve")], text: "Approve")
        }
        if record.state.accepts(.reject) {
            buttons +=
                HTML(" ")
                + HTML.tag(
                    "button", [("type", "submit"), ("name", "decision"), ("value", "reject"), ("class", "secondary")],
                    text: "Reject")
        }
        content += HTML.tag(
            "form", [("class", "decide"), ("method", "post"), ("action", "/promotions/\(record.id)/decision")],
            HTML.tag("fieldset", [], fields + HTML.tag("div", [("class", "row")], buttons)))
        return HTML.tag("section", [("aria-labelledby", "decide")], content)
    }

    /// The rows a destructive plan deletes, as the planning step counted them (its event's details).
    static func rowCounts(in events: [EventRecord]) -> [String: Int] {
        for event in events.reversed() {
            guard let details = event.details, let value = try? JSONParser.parse(Array(details.utf8)),
                let counts = value["row_counts"]?.objectValue
            else { continue }
            var result: [String: Int] = [:]
            for (collection, count) in counts { result[collection] = count.numberValue?.intValue }
            return result
        }
        return [:]
    }

    /// A plan as `PlanRenderer.text` prints it, as a table: each change, what it does, why it is destructive, and
    /// the rows it affects; then Directus's limitations.
    static func plan(html plan: Plan, rowCounts: [String: Int]) -> HTML {
        guard !plan.isEmpty else { return HTML.tag("p", [], text: "No changes: the target schema matches.") }
        let summary = plan.summary
        var headline =
            "\(summary.creates) to create, \(summary.updates) to update, \(summary.deletes) to delete"
        if summary.destructive > 0 { headline += " (\(summary.destructive) destructive)" }
        var content = HTML.tag("p", [], HTML.tag("strong", [], text: headline))
        let rows = plan.changes.map { change -> [HTML] in
            var subject = "\(noun(change.entity)) \(change.target)"
            if change.entity == .relation, let related = change.relatedCollection { subject += " → \(related)" }
            let details = HTML.join(
                change.details.map { detail in
                    HTML.tag(
                        "div", [],
                        HTML.tag("code", [], text: detail.path)
                            + HTML(" \(PlanBuilder.text(detail.from)) → \(PlanBuilder.text(detail.to))"))
                })
            var what = HTML(change.action.rawValue)
            if change.isDestructive {
                what += HTML(" ") + HTML.tag("span", [("class", "destructive")], text: "destructive")
            }
            let reasons =
                change.isDestructive
                ? HTML.tag(
                    "ul", [("class", "reasons")],
                    HTML.join(change.destructiveReasons.map { HTML.tag("li", [], text: $0) }))
                : HTML.empty
            let affected =
                change.entity == .collection && change.action == .delete
                ? rowCounts[change.collection].map { "\($0) row\($0 == 1 ? "" : "s")" } ?? "—" : "—"
            return [what, HTML(subject), details + reasons, HTML(affected)]
        }
        content += HTML.table(
            caption: "Changes", headers: ["Action", "Entity", "Details", "Rows affected"], rows: rows, className: "plan"
        )
        if !plan.warnings.isEmpty {
            content += HTML.tag("h3", [], text: "Directus will not apply this exactly as planned")
            content += HTML.tag(
                "ul", [("class", "reasons")], HTML.join(plan.warnings.map { HTML.tag("li", [], text: $0.description) }))
        }
        return content
    }

    static func noun(_ entity: EntityKind) -> String {
        switch entity {
        case .collection: "collection"
        case .field: "field"
        case .systemField: "system field"
        case .relation: "relation"
        }
    }

    /// A reference data plan (`ContentPlanRenderer.json`) as a table: a line per collection with its counts, and a
    /// sample of the rows; then what is never changed or kept.
    static func contentPlan(html plan: JSONValue) -> HTML {
        let collections = plan["collections"]?.arrayValue ?? []
        var content = HTML.empty
        if collections.isEmpty {
            content += HTML.tag("p", [], text: "No reference data changes.")
        } else {
            content += HTML.table(
                caption: "Reference data, per collection, in the order it is written",
                headers: ["Collection", "Policy", "Changes", "Sample"],
                rows: collections.map { collection in
                    let deletes = collection["deletes"]?.numberValue?.intValue ?? 0
                    let line = collection["line"]?.stringValue ?? ""
                    let counts =
                        deletes > 0
                        ? HTML.tag("strong", [("class", "destructive")], text: line + " (destructive)") : HTML(line)
                    let sample = (collection["sample"]?.arrayValue ?? []).map { row in
                        let fields = (row["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
                        return "\(row["action"]?.stringValue ?? "?") \(row["key"]?.stringValue ?? "?")"
                            + (fields.isEmpty ? "" : " (\(fields.joined(separator: ", ")))")
                    }
                    return [
                        HTML.tag("code", [], text: collection["collection"]?.stringValue ?? "?"),
                        HTML(collection["policy"]?.stringValue ?? ""), counts, HTML(sample.joined(separator: "; ")),
                    ]
                })
        }
        content += exclusions(plan) { entry in
            "\(entry["collection"]?.stringValue ?? "?") \(entry["key"]?.stringValue ?? "?")"
        }
        return content
    }

    /// What a plan (configuration or reference data) leaves out: the changes never made and those kept, each named
    /// by `name` with its reason.
    static func exclusions(_ plan: JSONValue, name: (JSONValue) -> String) -> HTML {
        var content = HTML.empty
        for (title, list) in [("Never changed", "refused"), ("Kept", "withheld")] {
            let entries = plan[list]?.arrayValue ?? []
            if entries.isEmpty { continue }
            content += HTML.tag("h3", [], text: title)
            content += HTML.tag(
                "ul", [],
                HTML.join(
                    entries.map { HTML.tag("li", [], text: "\(name($0)): \($0["reason"]?.stringValue ?? "")") }))
        }
        return content
    }

    /// A configuration plan (`ConfigPlanRenderer.json`) as a table: each change, what it does and why it needs a
    /// person; then what is held, never changed or kept.
    static func configurationPlan(html plan: JSONValue) -> HTML {
        let changes = plan["changes"]?.arrayValue ?? []
        var content = HTML.empty
        if changes.isEmpty {
            content += HTML.tag("p", [], text: "No configuration changes.")
        } else {
            content += HTML.table(
                caption: "Configuration changes, in the order they are written",
                headers: ["Change", "Record", "Fields", "Why it needs a person"],
                rows: changes.map { change in
                    let concerns = (change["concerns"]?.arrayValue ?? []).compactMap(\.stringValue)
                    let action = change["action"]?.stringValue ?? "?"
                    let what =
                        change["destructive"] == .bool(true)
                        ? HTML.tag("strong", [("class", "destructive")], text: action + " (destructive)")
                        : HTML(action)
                    return [
                        what, HTML.tag("code", [], text: change["key"]?.stringValue ?? "?"),
                        HTML((change["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
                        HTML(concerns.joined(separator: "; ")),
                    ]
                })
        }
        for (title, name) in [("Held until a person says which record is which", "held")] {
            let list = plan[name]?.arrayValue ?? []
            if list.isEmpty { continue }
            content += HTML.tag("h3", [], text: title)
            content += HTML.tag(
                "ul", [], HTML.join(list.map { HTML.tag("li", [], text: $0["key"]?.stringValue ?? "?") }))
        }
        content += exclusions(plan) { $0["key"]?.stringValue ?? "?" }
        return content
    }
}
