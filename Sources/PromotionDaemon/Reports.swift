import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// A promotion as the CLI shows it: the stored record plus what people need to read (approvers, the plan's size).
public struct PromotionView: Sendable {
    public var record: PromotionRecord
    public var approvers: [String]
    public var requiredApprovals: Int?
    public var diff: StoredDiff?
    public var decidedBy: [String]

    public init(_ record: PromotionRecord, store: Store, configuration: DaemonConfiguration?) throws {
        self.record = record
        let memory = PromotionStateMachine.Memory(stored: record.machine)
        approvers = memory?.approvers ?? []
        requiredApprovals = configuration?.environments.first { $0.name == record.target }?.approval.requiredApprovals
        diff = try record.diffID.flatMap { try store.diff(id: $0) }
        decidedBy = try store.decisions(promotionID: record.id).map { "\($0.kind.rawValue):\($0.actor)" }
    }

    public var json: JSONValue {
        let base: JSONValue = [
            "id": .number(JSONNumber(Int(record.id))), "revision": .number(JSONNumber(Int(record.revisionID))),
            "target": .string(record.target), "state": .string(record.state.rawValue),
            "attempts": .number(JSONNumber(record.attempts)),
            "created_at": .string(Self.timestamp(record.createdAt)),
            "updated_at": .string(Self.timestamp(record.updatedAt)),
            "approvers": .array(approvers.map(JSONValue.string)),
            "last_error": record.lastError.map(JSONValue.string) ?? .null,
        ]
        var object = base.objectValue ?? JSONObject()
        if let requiredApprovals { object["required_approvals"] = .number(JSONNumber(requiredApprovals)) }
        if let diff {
            object["diff"] = [
                "hash": .string(diff.directusHash), "creates": .number(JSONNumber(diff.creates)),
                "updates": .number(JSONNumber(diff.updates)), "deletes": .number(JSONNumber(diff.deletes)),
                "destructive": .number(JSONNumber(diff.destructive)),
            ]
        } else {
            object["diff"] = .null
        }
        return .object(object)
    }

    public var changeSummary: String {
        guard let diff else { return "" }
        var parts: [String] = []
        if diff.creates > 0 { parts.append("+\(diff.creates)") }
        if diff.updates > 0 { parts.append("~\(diff.updates)") }
        if diff.deletes > 0 { parts.append("-\(diff.deletes)") }
        return parts.joined(separator: " ")
    }

    public static func timestamp(_ date: Date) -> String { Timestamp.utc(date) }
}

/// What `status` shows: each environment, the promotions in flight, recent history, and whether anything needs a
/// person.
public struct StatusReport: Sendable {
    public struct EnvironmentRow: Sendable {
        public var name: String
        public var role: String
        public var url: String
        public var version: String?
        /// `source`, `in sync`, `behind`, `unreachable`, `unknown`.
        public var condition: String
        public var detail: String?
        public var revision: Int64?
        public var lastPoll: Date?
    }

    public var environments: [EnvironmentRow]
    public var inFlight: [PromotionView]
    public var history: [PromotionView]
    public var latestRevision: RevisionRecord?
    /// Webhook deliveries given up after their retries.
    public var failedDeliveries: [DeliveryRecord]

    /// Whether a person should look: something awaits approval, failed, is blocked, or an environment is down.
    public var needsAttention: Bool {
        inFlight.contains { $0.record.state.needsAttention }
            || environments.contains { $0.condition == "unreachable" || $0.condition == "drifted" }
            || !failedDeliveries.isEmpty
    }

    public init(
        store: Store, configuration: DaemonConfiguration, historyLimit: Int = 10, environment: String? = nil
    ) throws {
        latestRevision = try store.latestRevision(environment: configuration.source.name)
        let known = Dictionary(uniqueKeysWithValues: try store.environments().map { ($0.name, $0) })
        var rows: [EnvironmentRow] = []
        for (index, environment) in configuration.environments.enumerated() {
            let record = known[environment.name]
            let observation = try store.latestObservation(environment: environment.name)
            var row = EnvironmentRow(
                name: environment.name, role: index == 0 ? "source" : "target", url: environment.url,
                version: record?.directusVersion, condition: "unknown", detail: nil, revision: nil,
                lastPoll: observation?.observedAt)
            if index == 0 {
                row.condition = "source"
                row.revision = latestRevision?.id
            } else if let revision = latestRevision,
                let promotion = try store.promotion(revisionID: revision.id, target: environment.name)
            {
                row.condition = promotion.state == .applied ? "in sync" : "behind"
                row.detail = promotion.state == .applied ? nil : promotion.state.words
                row.revision = try Self.appliedRevision(store: store, target: environment.name)
            }
            if index > 0,
                let rolledBack = try store.history(limit: 20, target: environment.name).first(where: {
                    $0.state == .applied
                }), try store.revision(id: rolledBack.revisionID)?.environment == environment.name
            {
                row.condition = "rolled back"
                row.detail = "promotion \(rolledBack.id); the next revision brings it forward again"
            }
            if index > 0, let drift = try store.drift(environment: environment.name) {
                row.condition = "drifted"
                row.detail = drift.summary
            }
            if let observation, observation.snapshotHash == nil {
                row.condition = "unreachable"
                row.detail = observation.error
            }
            rows.append(row)
        }
        environments = rows.filter { environment == nil || $0.name == environment }
        inFlight = try store.promotions(inStates: PromotionState.open).filter {
            environment == nil || $0.target == environment
        }
        .map { try PromotionView($0, store: store, configuration: configuration) }
        history = try store.history(limit: historyLimit, target: environment).map {
            try PromotionView($0, store: store, configuration: configuration)
        }
        failedDeliveries = try store.deliveries(status: .failed, limit: 10)
    }

    static func appliedRevision(store: Store, target: String) throws -> Int64? {
        try store.history(limit: 50, target: target).first { $0.state == .applied }?.revisionID
    }

    public var json: JSONValue {
        [
            "revision": latestRevision.map { .number(JSONNumber(Int($0.id))) } ?? .null,
            "environments": .array(
                environments.map { row in
                    [
                        "name": .string(row.name), "role": .string(row.role), "url": .string(row.url),
                        "version": row.version.map(JSONValue.string) ?? .null,
                        "condition": .string(row.condition.replacingOccurrences(of: " ", with: "_")),
                        "detail": row.detail.map(JSONValue.string) ?? .null,
                        "revision": row.revision.map { .number(JSONNumber(Int($0))) } ?? .null,
                        "last_poll": row.lastPoll.map { .string(PromotionView.timestamp($0)) } ?? .null,
                    ]
                }),
            "in_flight": .array(inFlight.map(\.json)),
            "history": .array(history.map(\.json)),
            "failed_deliveries": .array(
                failedDeliveries.map { delivery in
                    [
                        "webhook": .string(delivery.webhook), "kind": .string(delivery.kind),
                        "event_id": .number(JSONNumber(Int(delivery.eventID))),
                        "attempts": .number(JSONNumber(delivery.attempts)),
                        "last_error": delivery.lastError.map(JSONValue.string) ?? .null,
                    ]
                }),
            "needs_attention": .bool(needsAttention),
        ]
    }

    public func text(now: Date, color: Bool) -> String {
        var out = ""
        let style = TextStyle(color: color)
        out += style.bold("Environments") + "\n"
        out += Table(
            header: ["NAME", "ROLE", "CONDITION", "REVISION", "VERSION", "LAST POLL", "URL"],
            rows: environments.map { row in
                [
                    row.name, row.role,
                    style.condition(row.condition) + (row.detail.map { " (\(Self.short($0)))" } ?? ""),
                    row.revision.map { "r\($0)" } ?? "—", row.version ?? "—",
                    row.lastPoll.map { RelativeTime.describe($0, now: now) } ?? "never", row.url,
                ]
            }
        ).render()
        out += "\n" + style.bold("In flight") + "\n"
        if inFlight.isEmpty {
            out += "  nothing in flight\n"
        } else {
            out += Self.promotionTable(inFlight, now: now, style: style)
        }
        out += "\n" + style.bold("History") + "\n"
        if history.isEmpty {
            out += "  no promotions yet\n"
        } else {
            out += Self.promotionTable(history, now: now, style: style)
        }
        if !failedDeliveries.isEmpty {
            out += "\n" + style.bold("Notifications not delivered") + "\n"
            out += Table(
                header: ["WEBHOOK", "EVENT", "ATTEMPTS", "LAST ERROR"],
                rows: failedDeliveries.map {
                    [$0.webhook, $0.kind, "\($0.attempts)", $0.lastError ?? ""]
                }
            ).render()
        }
        for row in environments where row.condition == "drifted" {
            out +=
                "\n" + style.attention("→") + " \(row.name) drifted: \(row.detail ?? "")\n"
                + "  adopt it with: directus-promoter drift accept \(row.name); "
                + "or let the next promotion put it back\n"
        }
        if needsAttention {
            let waiting = inFlight.filter { $0.record.state == .awaitingApproval }
            for view in waiting {
                out +=
                    "\n" + style.attention("→") + " promotion \(view.record.id) (revision \(view.record.revisionID) to "
                    + "\(view.record.target)) waits for approval: directus-promoter show \(view.record.id), then "
                    + "approve \(view.record.id) or reject \(view.record.id)\n"
            }
        }
        return out
    }

    static func promotionTable(_ views: [PromotionView], now: Date, style: TextStyle) -> String {
        Table(
            header: ["ID", "REVISION", "TARGET", "STATE", "CHANGES", "APPROVED BY", "UPDATED", "NOTE"],
            rows: views.map { view in
                [
                    "\(view.record.id)", "r\(view.record.revisionID)", view.record.target,
                    style.state(view.record.state),
                    view.changeSummary.isEmpty ? "—" : view.changeSummary,
                    view.approvers.isEmpty
                        ? (view.record.state == .awaitingApproval
                            ? "0/\(view.requiredApprovals ?? 1)" : "—")
                        : view.approvers.joined(separator: ", "),
                    RelativeTime.describe(view.record.updatedAt, now: now),
                    view.record.lastError.map(short) ?? "",
                ]
            }
        ).render()
    }

    static func short(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        return line.count > 80 ? String(line.prefix(77)) + "..." : line
    }
}

/// Aligned columns for people.
public struct Table {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    public func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Self.visibleWidth(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            var text = "  "
            for (index, cell) in cells.enumerated() {
                let pad = index == cells.count - 1 ? 0 : widths[index] - Self.visibleWidth(cell) + 2
                text += cell + String(repeating: " ", count: max(0, pad))
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    /// The width without ANSI colour codes.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}

/// "12 s ago", "5 min ago", "3 h ago", "2 days ago".
public enum RelativeTime {
    public static func describe(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        if seconds < 0 { return "in \(describeSpan(-seconds))" }
        if seconds < 2 { return "just now" }
        return "\(describeSpan(seconds)) ago"
    }

    public static func describeSpan(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min"
        case ..<86_400: "\(seconds / 3600) h"
        default: "\(seconds / 86_400) day\(seconds / 86_400 == 1 ? "" : "s")"
        }
    }
}

/// ANSI colours, only when asked for (a terminal).
public struct TextStyle: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    func wrap(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func attention(_ text: String) -> String { wrap(text, "1;33") }

    public func state(_ state: PromotionState) -> String {
        switch state {
        case .applied: wrap(state.words, "32")
        case .failed, .blocked, .rejected: wrap(state.words, "31")
        case .awaitingApproval: wrap(state.words, "33")
        case .superseded, .cancelled: wrap(state.words, "2")
        case .queued, .planning, .approved, .applying, .verifying, .stale: wrap(state.words, "36")
        }
    }

    public func condition(_ condition: String) -> String {
        switch condition {
        case "in sync": wrap(condition, "32")
        case "behind", "rolled back": wrap(condition, "33")
        case "unreachable", "drifted": wrap(condition, "31")
        default: condition
        }
    }
}
