import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// What `status` shows: each environment, the promotions in flight, recent history, and whether anything needs a
/// person.
public struct StatusReport: Sendable {
    /// What an environment is like now, worst last: the one word `status`, `status --json` and the web view show.
    public enum Condition: String, Sendable, CaseIterable {
        /// The source: changes are promoted from it.
        case source
        /// It has the source's latest revision.
        case inSync = "in sync"
        /// The latest revision is on its way (queued, planning, applying…).
        case behind
        /// The latest revision waits for people's approval.
        case awaitingApproval = "awaiting approval"
        /// An older revision was put back on it.
        case rolledBack = "rolled back"
        /// Its schema was changed outside the pipeline.
        case drifted
        /// Its last poll failed.
        case unreachable
        /// Nothing is known yet.
        case unknown

        /// The word in JSON (`in_sync`).
        public var key: String { rawValue.replacingOccurrences(of: " ", with: "_") }

        /// Whether a person should look.
        public var needsAttention: Bool { self == .drifted || self == .unreachable || self == .awaitingApproval }
    }

    public struct EnvironmentRow: Sendable {
        public var name: String
        public var role: String
        public var url: String
        public var version: String?
        public var condition: Condition
        public var detail: String?
        public var revision: Int64?
        public var lastPoll: Date?
    }

    /// Whether a daemon holds the state directory's lock, and since when.
    public struct DaemonPresence: Sendable, Equatable {
        public var running: Bool
        public var pid: Int32?
        public var since: Date?

        public init(running: Bool, pid: Int32? = nil, since: Date? = nil) {
            self.running = running
            self.pid = pid
            self.since = since
        }

        /// As the lock of `stateDirectory` says now.
        public static func of(stateDirectory: String) -> DaemonPresence {
            guard let holder = InstanceLock.holder(directory: stateDirectory) else {
                return DaemonPresence(running: false)
            }
            return DaemonPresence(running: true, pid: holder.pid, since: holder.since)
        }
    }

    /// What a person can do next about one promotion: the exact command, as the machine would take it.
    public struct NextStep: Sendable, Equatable {
        public var promotionID: Int64
        public var text: String
    }

    public var daemon: DaemonPresence
    public var nextSteps: [NextStep]
    public var environments: [EnvironmentRow]
    public var inFlight: [PromotionView]
    public var history: [PromotionView]
    public var latestRevision: RevisionRecord?
    /// Webhook deliveries given up after their retries.
    public var failedDeliveries: [DeliveryRecord]

    /// Whether a person should look: something awaits approval, failed, is blocked, or an environment is down.
    public var needsAttention: Bool {
        inFlight.contains { $0.record.state.needsAttention }
            || environments.contains { $0.condition == .unreachable || $0.condition == .drifted }
            || !failedDeliveries.isEmpty
    }

    public init(
        store: Store, configuration: DaemonConfiguration, historyLimit: Int = 10, environment: String? = nil,
        daemon: DaemonPresence? = nil
    ) throws {
        self.daemon = daemon ?? .of(stateDirectory: configuration.stateDirectory)
        latestRevision = try store.latestRevision(environment: configuration.source.name)
        let known = Dictionary(uniqueKeysWithValues: try store.environments().map { ($0.name, $0) })
        var rows: [EnvironmentRow] = []
        for (index, environment) in configuration.environments.enumerated() {
            let record = known[environment.name]
            let observation = try store.latestObservation(environment: environment.name)
            var row = EnvironmentRow(
                name: environment.name, role: index == 0 ? "source" : "target", url: environment.url,
                version: record?.directusVersion, condition: .unknown, detail: nil, revision: nil,
                lastPoll: observation?.observedAt)
            if index == 0 {
                row.condition = .source
                row.revision = latestRevision?.id
            } else if let revision = latestRevision,
                let promotion = try store.promotion(revisionID: revision.id, target: environment.name)
            {
                switch promotion.state {
                case .applied: row.condition = .inSync
                case .awaitingApproval: row.condition = .awaitingApproval
                default:
                    row.condition = .behind
                    row.detail = promotion.state.words
                }
                row.revision = try Self.appliedRevision(store: store, target: environment.name)
            }
            if index > 0,
                let rolledBack = try store.history(limit: 20, target: environment.name).first(where: {
                    $0.state == .applied
                }), try store.revision(id: rolledBack.revisionID)?.environment == environment.name
            {
                row.condition = .rolledBack
                row.detail = "promotion \(rolledBack.id); the next revision brings it forward again"
            }
            if index > 0, let drift = try store.drift(environment: environment.name) {
                row.condition = .drifted
                row.detail = drift.summary
            }
            for drift in [
                try store.configDrift(environment: environment.name),
                try store.contentDrift(environment: environment.name),
            ] where index > 0 {
                guard let drift else { continue }
                row.condition = .drifted
                row.detail = row.detail.map { $0 + "; " + drift.summary } ?? drift.summary
            }
            if let observation, observation.snapshotHash == nil {
                row.condition = .unreachable
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
        let engine = try configuration.engineConfiguration()
        nextSteps = inFlight.compactMap { Self.nextStep(for: $0.record, machine: engine.machine(for: $0.record)) }
    }

    /// The command that moves a promotion waiting for a person, checked with its machine (`check`).
    static func nextStep(for record: PromotionRecord, machine: PromotionStateMachine) -> NextStep? {
        let id = record.id
        let about = "promotion \(id) (revision \(record.revisionID) to \(record.target))"
        switch record.state {
        case .awaitingApproval:
            let approve: String
            switch machine.check(.approve, actor: "someone", id: id) {
            case .refused(_, let instead?): approve = instead
            default: approve = "directus-promoter approve \(id)"
            }
            return NextStep(
                promotionID: id,
                text: "\(about) waits for approval: directus-promoter show \(id), then \(approve) or "
                    + "directus-promoter reject \(id)")
        case .blocked where machine.predictedFailure != nil:
            return NextStep(
                promotionID: id,
                text: "\(about) predicts that Directus fails its apply: directus-promoter show \(id), then change the "
                    + "source, or directus-promoter approve \(id) --despite-warnings")
        case .blocked, .failed:
            return NextStep(
                promotionID: id,
                text: "\(about) is \(record.state.words): directus-promoter show \(id); fix the cause, then "
                    + "directus-promoter retry \(id)")
        default:
            return nil
        }
    }

    static func appliedRevision(store: Store, target: String) throws -> Int64? {
        try store.history(limit: 50, target: target).first { $0.state == .applied }?.revisionID
    }

    public var json: JSONValue {
        [
            "daemon": [
                "running": .bool(daemon.running), "pid": daemon.pid.map { .number(JSONNumber(Int($0))) } ?? .null,
                "since": daemon.since.map { .string(Timestamp.utc($0)) } ?? .null,
            ],
            "next_steps": .array(nextSteps.map { .string($0.text) }),
            "revision": latestRevision.map { .number(JSONNumber(Int($0.id))) } ?? .null,
            "environments": .array(
                environments.map { row in
                    [
                        "name": .string(row.name), "role": .string(row.role), "url": .string(row.url),
                        "version": row.version.map(JSONValue.string) ?? .null,
                        "condition": .string(row.condition.key),
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
        if daemon.running {
            out +=
                "Daemon: running" + (daemon.pid.map { " (pid \($0))" } ?? "")
                + (daemon.since.map { " since \(Timestamp.utc($0)) (\(RelativeTime.describe($0, now: now)))" } ?? "")
                + "\n\n"
        } else {
            out +=
                style.attention("Daemon: not running") + " (no process holds the state directory's lock): nothing "
                + "is polled or promoted until it starts (systemctl start directus-promoter), or run "
                + "directus-promoter poll\n\n"
        }
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
        for row in environments where row.condition == .drifted {
            out +=
                "\n" + style.attention("→") + " \(row.name) drifted: \(row.detail ?? "")\n"
                + "  adopt it with: directus-promoter drift accept \(row.name); "
                + "or let the next promotion put it back\n"
        }
        for step in nextSteps {
            out += "\n" + style.attention("→") + " " + step.text + "\n"
        }
        if !nextSteps.isEmpty && !daemon.running {
            out +=
                "  (no daemon is running: a decision is acted on when it starts, or at the next directus-promoter poll)\n"
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
