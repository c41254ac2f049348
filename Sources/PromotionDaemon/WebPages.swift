import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// The web view's pages, as HTML, from the reports the CLI prints (`StatusReport`, `HistoryReport`,
/// `PromotionDetail`, `DriftDetail`).
enum WebPages {
    typealias Context = WebView.Context

    /// The frame of every page: the header with the navigation, the content, the footer.
    static func layout(
        title: String, section: String, refresh: Bool = true, _ context: Context?, _ content: HTML
    ) -> String {
        let links = [("/", "Pipeline"), ("/history", "History"), ("/drift", "Drift")]
        let navigation = HTML.join(
            links.map { href, label in
                HTML.link(href, label, label == section ? [("aria-current", "page")] : [])
            })
        var footer = HTML("directus-promoter \(DaemonConfiguration.version)")
        if let context {
            footer += HTML(" · as of ") + HTML.time(context.now, Timestamp.utc(context.now))
            if context.decisionsEnabled {
                footer +=
                    context.decider.map { HTML(" · signed in as \($0)") }
                    ?? HTML(" · ") + HTML.link("/sign-in?next=\(FormEncoding.encode("/"))", "sign in to decide")
            } else {
                footer += HTML(" · read-only: decisions are made with the CLI")
            }
        }
        let body =
            HTML.tag("a", [("class", "skip"), ("href", "#main")], text: "Skip to content")
            + HTML.tag(
                "header", [],
                HTML.tag(
                    "nav", [("aria-label", "Main")],
                    HTML.tag("a", [("class", "brand"), ("href", "/")], text: "directus-promoter") + navigation))
            + HTML.tag("main", [("id", "main")] + (refresh ? [("data-refresh", "10")] : []), content)
            + HTML.tag("footer", [], footer)
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<title>\(HTML.escape(title)) · directus-promoter</title>"
            + "<link rel=\"stylesheet\" href=\"/assets/app.css\">"
            + "<script src=\"/assets/app.js\" defer></script></head><body>\(body.markup)</body></html>\n"
    }

    static func problem(_ title: String, _ text: String) -> String {
        layout(
            title: title, section: "", refresh: false, nil,
            HTML.tag("h1", [], text: title) + HTML.tag("p", [], text: text))
    }

    // MARK: Badges

    static func badge(_ condition: StatusReport.Condition) -> HTML {
        let tone: String
        switch condition {
        case .inSync: tone = "ok"
        case .behind, .awaitingApproval, .rolledBack: tone = "wait"
        case .drifted, .unreachable: tone = "bad"
        case .source, .unknown: tone = "idle"
        }
        return HTML.tag("span", [("class", "badge \(tone)")], text: condition.rawValue)
    }

    static func badge(_ state: PromotionState) -> HTML {
        let tone: String
        switch state {
        case .applied: tone = "ok"
        case .failed, .blocked, .rejected: tone = "bad"
        case .awaitingApproval, .queued, .planning, .approved, .applying, .verifying, .stale: tone = "wait"
        case .superseded, .cancelled: tone = "idle"
        }
        return HTML.tag("span", [("class", "badge \(tone)")], text: state.words)
    }

    static func when(_ date: Date?, _ context: Context) -> HTML {
        guard let date else { return HTML("never") }
        return HTML.time(date, RelativeTime.describe(date, now: context.now))
    }

    static func command(_ text: String) -> HTML { HTML.tag("code", [("class", "command")], text: text) }

    // MARK: Pipeline

    static func pipeline(_ context: Context) throws -> String {
        let report = try StatusReport(store: context.store, configuration: context.configuration)
        var content = HTML.tag("h1", [], text: "Pipeline")
        if !report.daemon.running {
            content += HTML.tag(
                "p", [("class", "banner bad"), ("role", "status")],
                text: "The daemon is not running: nothing is polled or promoted until it starts.")
        }
        let cards = report.environments.map { row -> HTML in
            var facts: [(String, HTML)] = [
                ("Condition", badge(row.condition) + (row.detail.map { HTML(" " + $0) } ?? .empty)),
                ("Revision", HTML(row.revision.map { "r\($0)" } ?? "none")),
                ("Directus", HTML(row.version ?? "unknown")),
                ("Last poll", when(row.lastPoll, context)),
                ("URL", HTML.tag("code", [], text: row.url)),
            ]
            if row.condition == .drifted {
                facts.append(("Drift", HTML.link("/drift/\(FormEncoding.encode(row.name))", "what changed")))
            }
            let list = HTML.join(facts.map { HTML.tag("dt", [], text: $0.0) + HTML.tag("dd", [], $0.1) })
            return HTML.tag(
                "li", [("aria-label", "\(row.name), \(row.role), \(row.condition.rawValue)")],
                HTML.tag("h3", [], text: row.name) + HTML.tag("span", [("class", "muted")], text: row.role)
                    + HTML.tag("dl", [], list))
        }
        content += HTML.tag(
            "section", [("aria-labelledby", "environments")],
            HTML.tag("h2", [("id", "environments")], text: "Environments, in promotion order")
                + HTML.tag("ol", [("class", "pipeline")], HTML.join(cards)))
        content += HTML.tag("h2", [], text: "In flight")
        if report.inFlight.isEmpty {
            content += HTML.tag("p", [], text: "Nothing in flight.")
        } else {
            content += promotionTable(
                report.inFlight, caption: "Promotions in flight", context, nextSteps: report.nextSteps)
        }
        if !report.nextSteps.isEmpty {
            content += HTML.tag("h2", [], text: "Waiting for a person")
            content += HTML.tag(
                "ul", [("class", "steps")],
                HTML.join(
                    report.nextSteps.map { step in
                        HTML.tag(
                            "li", [],
                            HTML.link("/promotions/\(step.promotionID)", "Promotion \(step.promotionID)") + HTML(": ")
                                + HTML(step.text))
                    }))
        }
        if !report.failedDeliveries.isEmpty {
            content += HTML.tag("h2", [], text: "Notifications not delivered")
            content += HTML.table(
                caption: "Webhook deliveries given up", headers: ["Webhook", "Event", "Attempts", "Last error"],
                rows: report.failedDeliveries.map {
                    [HTML($0.webhook), HTML($0.kind), HTML("\($0.attempts)"), HTML($0.lastError ?? "")]
                })
        }
        content += HTML.tag("h2", [], text: "Recent history")
        if report.history.isEmpty {
            content += HTML.tag("p", [], text: "No promotions yet.")
        } else {
            content += promotionTable(report.history, caption: "The latest promotions", context, nextSteps: [])
            content += HTML.tag("p", [], HTML.link("/history", "All history, with filters"))
        }
        return layout(title: "Pipeline", section: "Pipeline", context, content)
    }

    static func promotionTable(
        _ views: [PromotionView], caption: String, _ context: Context, nextSteps: [StatusReport.NextStep]
    ) -> HTML {
        HTML.table(
            caption: caption,
            headers: ["Promotion", "Revision", "Target", "State", "Changes", "Approvals", "Updated"],
            rows: views.map { view in
                let approvals =
                    view.approvers.isEmpty
                    ? (view.record.state == .awaitingApproval ? "0 of \(view.requiredApprovals ?? 1)" : "—")
                    : view.approvers.joined(separator: ", ")
                return [
                    HTML.link("/promotions/\(view.record.id)", "\(view.record.id)"),
                    HTML("r\(view.record.revisionID)"), HTML(view.record.target), badge(view.record.state),
                    HTML(view.changeSummary.isEmpty ? "—" : view.changeSummary), HTML(approvals),
                    when(view.record.updatedAt, context),
                ]
            })
    }

    // MARK: History

    /// The filters people can choose: how far back.
    static let periods: [(key: String, label: String, seconds: Double?)] = [
        ("all", "any time", nil), ("1h", "the last hour", 3600), ("1d", "the last day", 86_400),
        ("7d", "the last 7 days", 604_800), ("30d", "the last 30 days", 2_592_000),
    ]

    static func history(_ context: Context, query: StatusServer.Request) throws -> String {
        let environment = query.queryValue("env").flatMap { name in
            context.configuration.environments.contains { $0.name == name } ? name : nil
        }
        let state = query.queryValue("state").flatMap(PromotionState.init(rawValue:))
        let period = periods.first { $0.key == query.queryValue("since") } ?? periods[0]
        let since = period.seconds.map { context.now.addingTimeInterval(-$0) }
        let report = try HistoryReport(
            store: context.store, configuration: context.configuration, limit: 500, target: environment, since: since)
        let views = report.views.filter { state == nil || $0.record.state == state }

        func select(_ name: String, _ label: String, _ options: [(String, String)], _ chosen: String) -> HTML {
            HTML.tag(
                "div", [],
                HTML.tag("label", [("for", name)], text: label)
                    + HTML.tag(
                        "select", [("id", name), ("name", name)],
                        HTML.join(
                            options.map { value, text in
                                HTML.tag(
                                    "option", [("value", value)] + (value == chosen ? [("selected", "")] : []),
                                    text: text)
                            })))
        }
        let targets = context.configuration.targets.map { ($0.name, $0.name) }
        let states = PromotionState.allCases.map { ($0.rawValue, $0.words) }
        let form = HTML.tag(
            "form", [("class", "filters"), ("method", "get"), ("action", "/history")],
            select("env", "Environment", [("", "all")] + targets, environment ?? "")
                + select("state", "State", [("", "any")] + states, state?.rawValue ?? "")
                + select("since", "Created in", periods.map { ($0.key, $0.label) }, period.key)
                + HTML.tag("div", [], HTML.tag("button", [("type", "submit")], text: "Show")))
        var content = HTML.tag("h1", [], text: "History") + form
        if views.isEmpty {
            content += HTML.tag("p", [], text: "No promotion matches.")
        } else {
            content += HTML.table(
                caption: "\(views.count) promotion\(views.count == 1 ? "" : "s"), newest first",
                headers: ["Promotion", "Revision", "Target", "State", "Changes", "Created", "Took", "Approved by"],
                rows: views.map { view in
                    [
                        HTML.link("/promotions/\(view.record.id)", "\(view.record.id)"),
                        HTML("r\(view.record.revisionID)"), HTML(view.record.target), badge(view.record.state),
                        HTML(view.changeSummary.isEmpty ? "—" : view.changeSummary),
                        when(view.record.createdAt, context),
                        HTML(HistoryReport.span(view.record.updatedAt.timeIntervalSince(view.record.createdAt))),
                        HTML(view.approvers.isEmpty ? "—" : view.approvers.joined(separator: ", ")),
                    ]
                })
        }
        return layout(title: "History", section: "History", refresh: false, context, content)
    }

    // MARK: Drift

    static func driftList(_ context: Context) throws -> String {
        let listing = try DriftListing(store: context.store)
        var content = HTML.tag("h1", [], text: "Drift")
        let all = listing.all
        if all.isEmpty {
            content += HTML.tag("p", [], text: "No drift: every environment has the schema it should have.")
        } else {
            content += HTML.table(
                caption: "Environments changed outside the pipeline",
                headers: ["Environment", "Of", "Since", "What changed"],
                rows: all.map { drift, what in
                    [
                        HTML.link("/drift/\(FormEncoding.encode(drift.environment))", drift.environment),
                        HTML(what), when(drift.detectedAt, context), HTML(drift.summary),
                    ]
                })
        }
        return layout(title: "Drift", section: "Drift", context, content)
    }

    static func drift(environment: String, _ context: Context) throws -> String? {
        guard context.configuration.environments.contains(where: { $0.name == environment }) else { return nil }
        var content = HTML.tag("h1", [], text: "Drift on \(environment)")
        guard
            let detail = try DriftDetail(
                environment: environment, store: context.store, configuration: context.configuration)
        else {
            content += HTML.tag("p", [], text: "\(environment) has the schema it should have.")
            return layout(title: "Drift on \(environment)", section: "Drift", context, content)
        }
        if let drift = detail.schemaDrift {
            content += HTML.tag(
                "p", [], HTML("Since ") + when(drift.detectedAt, context) + HTML(": " + drift.summary))
            content += HTML.tag("h2", [], text: "What changed on \(environment) outside the pipeline")
            content +=
                detail.plan.map { plan(html: $0, rowCounts: [:]) }
                ?? HTML.tag("p", [], text: "The snapshots are no longer in history.")
        }
        if let drift = detail.configurationDrift {
            content += HTML.tag("h2", [], text: "Configuration changed on \(environment) outside the pipeline")
            content += HTML.tag(
                "p", [], HTML("Since ") + when(drift.detectedAt, context) + HTML(": " + drift.summary))
            content += HTML.tag(
                "ul", [],
                HTML.join(detail.configurationLines.map { HTML.tag("li", [], HTML.tag("code", [], text: $0)) }))
        }
        if let drift = detail.contentDrift {
            content += HTML.tag("h2", [], text: "Reference data changed on \(environment) outside the pipeline")
            content += HTML.tag(
                "p", [], HTML("Since ") + when(drift.detectedAt, context) + HTML(": " + drift.summary))
            content += HTML.tag(
                "ul", [], HTML.join(detail.contentLines.map { HTML.tag("li", [], HTML.tag("code", [], text: $0)) }))
        }
        content += HTML.tag("h2", [], text: "What to do")
        content += HTML.tag(
            "p", [],
            HTML("Adopt it as the schema \(environment) should have, or let the next promotion put it back: "))
        content += command("directus-promoter drift accept \(environment)")
        return layout(title: "Drift on \(environment)", section: "Drift", context, content)
    }
}
