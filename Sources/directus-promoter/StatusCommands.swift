import ArgumentParser
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore

/// `directus-promoter status`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each environment, the promotions in flight and the latest promotions.",
        discussion: "Exit status: 0 all in sync, 3 something needs attention (approval, failure, drift, down), 1 error."
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("history"), help: "How many past promotions to show.")
    var historyCount = 10

    @Option(name: .customLong("env"), help: "Only this environment.")
    var environment: String?

    func run() throws {
        let configuration = try options.load()
        if let environment, !configuration.environments.contains(where: { $0.name == environment }) {
            throw CommandError(
                "no environment \(environment) in \(options.path) (there are "
                    + "\(configuration.environments.map(\.name).joined(separator: ", ")))")
        }
        let store = try options.openStore(configuration)
        let report = try StatusReport(
            store: store, configuration: configuration, historyLimit: historyCount, environment: environment)
        if output.json {
            output.emit(report.json)
        } else {
            print(report.text(now: Date(), color: output.colored), terminator: "")
        }
        if report.needsAttention { throw ExitStatus.attention }
    }
}

/// `directus-promoter history`.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List promotions, newest first, with state, timings and who approved them.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("env"), help: "Only promotions to this environment.")
    var environment: String?

    @Option(help: "How many promotions to list.")
    var limit = 50

    @Option(help: "Only promotions updated since this date (2026-11-27, 2026-11-27T10:00:00Z) or span (12h, 7d).")
    var since: String?

    func run() throws {
        let configuration = try options.load()
        let store = try options.openStore(configuration)
        let now = Date()
        let sinceDate = try since.map { try parseSince($0, now: now) }
        let views = try store.history(limit: limit, target: environment, since: sinceDate).map {
            try PromotionView($0, store: store, configuration: configuration)
        }
        if output.json {
            output.emit(.array(views.map(\.json)))
            return
        }
        if views.isEmpty {
            print("no promotions" + (environment.map { " to \($0)" } ?? "") + (since.map { " since \($0)" } ?? ""))
            return
        }
        let style = TextStyle(color: output.colored)
        print(
            Table(
                header: ["ID", "REVISION", "TARGET", "STATE", "CHANGES", "CREATED", "TOOK", "APPROVED BY"],
                rows: views.map { view in
                    [
                        "\(view.record.id)", "r\(view.record.revisionID)", view.record.target,
                        style.state(view.record.state), view.changeSummary.isEmpty ? "—" : view.changeSummary,
                        RelativeTime.describe(view.record.createdAt, now: now),
                        Self.span(view.record.updatedAt.timeIntervalSince(view.record.createdAt)),
                        view.approvers.isEmpty ? "—" : view.approvers.joined(separator: ", "),
                    ]
                }
            ).render(), terminator: "")
    }

    static func span(_ seconds: TimeInterval) -> String {
        seconds < 1 ? "<1 s" : RelativeTime.describeSpan(Int(seconds))
    }
}

/// `directus-promoter show ID`.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one promotion: its plan, its diff hash, its events, errors in full.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The promotion's id (see status or history).")
    var id: Int64

    func run() throws {
        let configuration = try options.load()
        let store = try options.openStore(configuration)
        guard let record = try store.promotion(id: id) else { throw CommandError("no promotion \(id)") }
        let view = try PromotionView(record, store: store, configuration: configuration)
        let events = try store.events(promotionID: id)
        let plan = try Self.plan(of: view, store: store)
        if output.json {
            var object = view.json.objectValue ?? JSONObject()
            object["plan"] = plan.map(PlanRenderer.json) ?? .null
            object["events"] = .array(
                events.map { event in
                    [
                        "at": .string(PromotionView.timestamp(event.at)), "actor": .string(event.actor),
                        "kind": .string(event.kind), "message": .string(event.message),
                    ]
                })
            output.emit(.object(object))
            return
        }
        let style = TextStyle(color: output.colored)
        let now = Date()
        var lines = [
            style.bold("Promotion \(record.id)") + ": revision r\(record.revisionID) to \(record.target)",
            "  state:     \(style.state(record.state))",
            "  created:   \(PromotionView.timestamp(record.createdAt)) (\(RelativeTime.describe(record.createdAt, now: now)))",
            "  updated:   \(PromotionView.timestamp(record.updatedAt)) (\(RelativeTime.describe(record.updatedAt, now: now)))",
            "  applies:   \(record.attempts)",
        ]
        if let required = view.requiredApprovals {
            lines.append(
                "  approvals: \(view.approvers.isEmpty ? "none" : view.approvers.joined(separator: ", "))"
                    + (required == 0 ? " (automatic)" : " (\(required) required)"))
        }
        if let diff = view.diff {
            lines.append(
                "  diff hash: \(diff.directusHash) (computed \(RelativeTime.describe(diff.computedAt, now: now)))")
        }
        if let error = record.lastError { lines.append("  error:     \(error)") }
        print(lines.joined(separator: "\n"))
        if let plan {
            print("\n" + style.bold("Plan"))
            print(PlanRenderer.text(plan, color: output.colored), terminator: "")
        }
        print("\n" + style.bold("Events"))
        print(
            Table(
                header: ["AT", "ACTOR", "EVENT", "MESSAGE"],
                rows: events.map {
                    [PromotionView.timestamp($0.at), $0.actor, $0.kind, $0.message]
                }
            ).render(), terminator: "")
    }

    /// The plan of the promotion's latest diff, read against the target snapshot it was computed on.
    static func plan(of view: PromotionView, store: Store) throws -> Plan? {
        guard let diff = view.diff, let raw = try store.diffContent(id: diff.id),
            let current = try store.snapshot(hash: diff.targetSnapshotHash),
            let decoded = try? SnapshotDiff(json: raw)
        else { return nil }
        return PlanBuilder.plan(decoded, current: current)
    }
}

/// `approve`, `reject`, `retry`, `cancel`: a person's decision, recorded for the daemon to act on. What it would
/// do is the machine's own answer (`PromotionStateMachine.check`): one that cannot take effect is refused, with the
/// command that would work, and nothing is recorded.
enum DecisionCommand {
    static func record(
        _ kind: PromotionDecision, id: Int64, comment: String?, allowDestructive: Bool, despiteWarnings: Bool = false,
        options: ConfigOptions
    ) throws {
        let configuration = try options.load()
        let store = try options.openStore(configuration)
        guard let promotion = try store.promotion(id: id) else { throw CommandError("no promotion \(id)") }
        let actor = unixUser()
        let machine = try configuration.engineConfiguration().machine(for: promotion)
        let check = machine.check(
            kind, actor: actor, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings, id: id)
        if case .refused(let reason, let instead) = check {
            throw CommandError(
                "promotion \(id) cannot be \(kind.pastTense): \(reason); nothing was recorded"
                    + (instead.map { ". To go ahead: \($0)" } ?? ""))
        }
        try store.recordDecision(
            promotionID: id, kind: kind, actor: actor, comment: comment, allowDestructive: allowDestructive,
            despiteWarnings: despiteWarnings, at: Date())
        let told = pokeDaemon(stateDirectory: configuration.stateDirectory)
        var effect = ""
        switch check {
        case .counted(let progress): effect = " (\(progress))"
        case .takesEffect(let state): effect = ", which moves it to \(state.words)"
        case .refused: break
        }
        print(
            "recorded: \(actor) \(kind.presentTense) promotion \(id) (revision r\(promotion.revisionID) to "
                + "\(promotion.target))\(effect); "
                + (told ? "the daemon acts on it now" : "no daemon is running: it is acted on at the next tick"))
    }
}

/// What every decision command takes.
struct DecisionArguments: ParsableArguments {
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The promotion's id.") var id: Int64
    @Option(help: "Why (kept in the audit log).") var comment: String?

    func record(_ kind: DecisionRecord.Kind, allowDestructive: Bool = false, despiteWarnings: Bool = false) throws {
        try DecisionCommand.record(
            kind, id: id, comment: comment, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings,
            options: options)
    }
}

struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a promotion that waits for approval.")
    @OptionGroup var decision: DecisionArguments
    @Flag(help: "Also approve what the plan deletes (needed where the destructive policy is approve).")
    var allowDestructive = false
    @Flag(help: "Send a plan whose own warnings predict that Directus fails the apply (it is blocked until then).")
    var despiteWarnings = false

    func run() throws {
        try decision.record(.approve, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings)
    }
}

struct RejectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a promotion that waits for approval.")
    @OptionGroup var decision: DecisionArguments
    func run() throws { try decision.record(.reject) }
}

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Plan a failed or blocked promotion again.")
    @OptionGroup var decision: DecisionArguments
    func run() throws { try decision.record(.retry) }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a promotion that has not started applying.")
    @OptionGroup var decision: DecisionArguments
    func run() throws { try decision.record(.cancel) }
}

/// `directus-promoter rollback ENV [--to PROMOTION]`.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Plan putting an environment's schema back to what it was before a promotion.",
        discussion: """
            Plans a promotion of the pre-apply snapshot stored for PROMOTION (default: the latest promotion that
            changed ENV) back to ENV, through ENV's approvals and policies like any other promotion. It restores
            the schema, not data: a column or collection dropped since then comes back empty, and one added since
            then is dropped with its data (so it is a destructive plan). The next revision from the source brings
            the environment forward again.
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The environment to roll back.")
    var environment: String

    @Option(name: .customLong("to"), help: "Restore the schema from before this promotion (an id on ENV).")
    var promotionID: Int64?

    @Option(help: "Why (kept in the audit log).")
    var comment: String?

    func run() throws {
        let configuration = try options.load()
        guard configuration.targets.contains(where: { $0.name == environment }) else {
            throw CommandError("\(environment) is not a target in \(options.path): only targets can be rolled back")
        }
        let store = try options.openStore(configuration)
        let promotion: PromotionRecord
        if let promotionID {
            guard let found = try store.promotion(id: promotionID), found.target == environment else {
                throw CommandError("no promotion \(promotionID) on \(environment)")
            }
            guard found.preApplySnapshotHash != nil, found.state == .applied else {
                throw CommandError(
                    "promotion \(promotionID) changed nothing on \(environment) (it is \(found.state.words) with no "
                        + "pre-apply snapshot): there is nothing to roll back")
            }
            promotion = found
        } else {
            guard let found = try store.latestRollbackCandidate(environment: environment) else {
                throw CommandError("no promotion has changed \(environment) yet: there is nothing to roll back")
            }
            promotion = found
        }
        let actor = unixUser()
        let rollback = try store.createRollback(of: promotion, actor: actor, comment: comment, at: Date())
        let told = pokeDaemon(stateDirectory: configuration.stateDirectory)
        print(
            """
            Rollback planned as promotion \(rollback.id): \(environment)'s schema as it was before promotion \
            \(promotion.id) (revision r\(promotion.revisionID)).
            It restores the schema, not data: anything dropped since comes back empty, anything added since is dropped.
            It goes through \(environment)'s approvals: directus-promoter show \(rollback.id), then approve \(rollback.id) \
            (with --allow-destructive where the destructive policy asks for it).
            \(told ? "The daemon is planning it now." : "No daemon is running: it is planned at the next tick.")
            """)
    }
}
