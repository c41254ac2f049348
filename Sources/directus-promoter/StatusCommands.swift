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
        usage: "directus-promoter status [--json] [--env <env>] [--history <n>] [options]",
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
        abstract: "List promotions, newest first, with state, timings and who approved them.",
        usage: "directus-promoter history [--env <env>] [--since <when>] [options]")

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
        let report = try HistoryReport(
            store: store, configuration: configuration, limit: limit, target: environment,
            since: try since.map { try parseSince($0, now: now) })
        if output.json {
            output.emit(report.json)
        } else if report.views.isEmpty {
            print("no promotions" + (environment.map { " to \($0)" } ?? "") + (since.map { " since \($0)" } ?? ""))
        } else {
            print(report.text(now: now, color: output.colored), terminator: "")
        }
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
        guard let detail = try PromotionDetail(id: id, store: store, configuration: configuration) else {
            throw CommandError("no promotion \(id)")
        }
        if output.json {
            output.emit(detail.json)
        } else {
            print(detail.text(now: Date(), color: output.colored), terminator: "")
        }
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
        let receipt: DecisionDesk.Receipt
        do {
            receipt = try DecisionDesk.record(
                kind, promotionID: id, actor: DecisionDesk.localUser(), comment: comment,
                allowDestructive: allowDestructive, despiteWarnings: despiteWarnings, store: store,
                configuration: configuration, at: Date())
        } catch let refusal as DecisionDesk.Refusal {
            throw CommandError(refusal.description)
        }
        var effect = ""
        switch receipt.check {
        case .counted(let progress): effect = " (\(progress))"
        case .takesEffect(let state): effect = ", which moves it to \(state.words)"
        case .refused: break
        }
        print(
            "recorded: \(receipt.decision.actor) \(kind.presentTense) promotion \(id) (revision "
                + "r\(receipt.promotion.revisionID) to \(receipt.promotion.target))\(effect); "
                + (receipt.daemonTold
                    ? "the daemon acts on it now" : "no daemon is running: it is acted on at the next tick"))
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
        commandName: "approve",
        abstract: "Approve a promotion that waits for approval.",
        usage: "directus-promoter approve <id> [--allow-destructive] [options]")
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

/// `directus-promoter replan ID`.
struct ReplanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replan", abstract: "Plan a rejected or cancelled promotion's revision again.",
        discussion: """
            A rejected or cancelled promotion is final; replan records its revision once more, and the daemon \
            promotes it to every target again (a target that has it already is found in sync), through the usual \
            gates and approvals. Only the source's latest revision can be planned again.
            """)
    @OptionGroup var decision: DecisionArguments

    func run() throws {
        let configuration = try decision.options.load()
        let store = try decision.options.openStore(configuration)
        do {
            let (revision, told) = try DecisionDesk.replan(
                promotionID: decision.id, actor: DecisionDesk.localUser(), comment: decision.comment, store: store,
                configuration: configuration, at: Date())
            print(
                "recorded: promotion \(decision.id)'s revision is planned again as r\(revision.id); "
                    + (told ? "the daemon plans it now" : "no daemon is running: it is planned at the next tick"))
        } catch let refusal as DecisionDesk.Refusal {
            throw CommandError(refusal.description)
        }
    }
}

/// `directus-promoter rollback ENV [--to PROMOTION]`.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Plan putting an environment's schema back to what it was before a promotion.",
        usage: "directus-promoter rollback <environment> [--to <id>] [options]",
        discussion: """
            Plans a promotion of the pre-apply snapshot stored for PROMOTION (default: the latest promotion that \
            changed ENV) back to ENV, through ENV's approvals and policies like any other promotion. It restores \
            the schema, not data: a column or collection dropped since then comes back empty, and one added since \
            then is dropped with its data (so it is a destructive plan). The next revision from the source brings \
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
        let store = try options.openStore(configuration)
        let promotion: PromotionRecord
        do {
            promotion = try RollbackPlanner.candidate(
                environment: environment, promotionID: promotionID, store: store, configuration: configuration)
        } catch let refusal as RollbackPlanner.Refusal {
            throw CommandError(refusal.description)
        }
        let actor = DecisionDesk.localUser()
        let rollback = try store.createRollback(of: promotion, actor: actor, comment: comment, at: Date())
        let told = DecisionDesk.poke(stateDirectory: configuration.stateDirectory)
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
