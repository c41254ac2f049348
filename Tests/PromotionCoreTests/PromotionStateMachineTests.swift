import Foundation
import PromotionCore
import Testing

typealias Machine = PromotionStateMachine

@Suite("Promotion state machine")
struct PromotionStateMachineTests {
    let change = Machine.PlanResult.changes(contentKey: "diff-A", destructive: false)
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("staging (automatic): queued → planned → applied and verified")
    func automaticHappyPath() throws {
        var machine = Machine(policy: .automatic)
        #expect(try machine.handle(.gateOpened) == .computeDiff)
        #expect(try machine.handle(.planned(change)) == .prepareApply)
        #expect(machine.state == .approved)
        #expect(try machine.handle(.preparedForApply(change)) == .apply)
        #expect(try machine.handle(.applyFinished(.accepted)) == .verify)
        #expect(try machine.handle(.verified(.inSync)) == .finish(.applied))
        #expect(machine.state == .applied)
    }

    @Test("production (manual, two approvals): waits, counts distinct people, then applies")
    func manualApprovals() throws {
        var machine = Machine(policy: .manual(approvals: 2))
        _ = try machine.handle(.gateOpened)
        #expect(try machine.handle(.planned(change)) == .requestApproval)
        #expect(machine.state == .awaitingApproval)
        #expect(try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false)) == .none)
        #expect(
            try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false)) == .none,
            "the same person twice counts once")
        #expect(try machine.handle(.approvalRecorded(actor: "bob", allowDestructive: false)) == .prepareApply)
        #expect(machine.approvers == ["alice", "bob"])
    }

    @Test("rejection ends it")
    func rejection() throws {
        var machine = Machine(state: .planning, policy: .manual())
        _ = try machine.handle(.planned(change))
        #expect(try machine.handle(.rejectionRecorded(actor: "carol")) == .finish(.rejected))
        #expect(throws: Machine.Rejection.self) {
            try machine.handle(.approvalRecorded(actor: "dave", allowDestructive: false))
        }
    }

    @Test("a newer revision supersedes one that has not started applying, not one that has")
    func supersede() throws {
        var waiting = Machine(state: .awaitingApproval, policy: .manual())
        #expect(try waiting.handle(.newerRevisionDetected) == .finish(.superseded))
        var sending = Machine(state: .applying, policy: .manual())
        #expect(throws: Machine.Rejection.self) { try sending.handle(.newerRevisionDetected) }
    }

    @Test("stale hash with the same diff goes on; with a different diff it needs approval again")
    func staleHash() throws {
        var machine = Machine(state: .planning, policy: .manual())
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false))
        _ = try machine.handle(.preparedForApply(change))
        #expect(try machine.handle(.applyFinished(.stale(reason: "r", at: start))) == .computeDiff)
        #expect(machine.state == .stale)
        #expect(machine.staleRetryAt == nil, "the first stale answer is planned again at once")
        #expect(try machine.handle(.planned(change)) == .prepareApply, "same content: the approval stands")
        _ = try machine.handle(.preparedForApply(change))
        _ = try machine.handle(.applyFinished(.stale(reason: "r", at: start)))
        let other = Machine.PlanResult.changes(contentKey: "diff-B", destructive: false)
        #expect(try machine.handle(.planned(other)) == .requestApproval, "different content: approve again")
        #expect(machine.approvers.isEmpty)
    }

    @Test("a target that refuses every apply's hash is re-planned with a growing wait, then blocked with its answer")
    func staleHashBounded() throws {
        let answer = "Provided hash does not match the current instance's schema hash"
        var machine = Machine(state: .planning, policy: .automatic)
        var at = start
        for round in 1...Machine.maxStaleAnswers {
            if round == 1 {
                #expect(try machine.handle(.planned(change)) == .prepareApply)
            } else {
                #expect(machine.state == .stale)
                #expect(try machine.handle(.planned(change)) == .prepareApply)
            }
            #expect(try machine.handle(.preparedForApply(change)) == .apply)
            let action = try machine.handle(.applyFinished(.stale(reason: answer, at: at)))
            if round < Machine.maxStaleAnswers {
                #expect(action == .computeDiff)
                let wait = Machine.staleRetryDelay(afterAnswers: round)
                #expect(machine.staleRetryAt == (wait > 0 ? at.addingTimeInterval(wait) : nil))
            } else {
                guard case .alert(let reason) = action else {
                    Issue.record("expected an alert, got \(action)")
                    return
                }
                #expect(reason.contains(answer), "the reason quotes Directus's answer")
                #expect(reason.contains("\(Machine.maxStaleAnswers) times"))
            }
            at = at.addingTimeInterval(60)
        }
        #expect(machine.state == .blocked)
        #expect(Machine.staleRetryDelay(afterAnswers: 2) > 0, "no second immediate re-plan")
        #expect(try machine.handle(.retryRequested(actor: "alice")) == .computeDiff)
        #expect(machine.memory.staleAnswers == 0, "a person's retry starts the count again")
    }

    @Test("an accepted apply resets the count of stale answers")
    func staleHashResets() throws {
        var machine = Machine(state: .planning, policy: .automatic)
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.preparedForApply(change))
        _ = try machine.handle(.applyFinished(.stale(reason: "r", at: start)))
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.preparedForApply(change))
        #expect(try machine.handle(.applyFinished(.accepted)) == .verify)
        #expect(machine.memory.staleAnswers == 0)
        #expect(machine.memory.lastStaleAt == nil)
    }

    @Test("a plan predicting an apply failure is never applied by policy: blocked until approved despite warnings")
    func predictedFailureBlocks() throws {
        let failing = Machine.PlanResult.changes(
            contentKey: "diff-F", destructive: false, predictedFailure: "Directus fails on field city.name: …")
        var automatic = Machine(state: .planning, policy: .automatic)
        guard case .alert(let reason) = try automatic.handle(.planned(failing)) else {
            Issue.record("expected an alert")
            return
        }
        #expect(automatic.state == .blocked)
        #expect(reason.contains("--despite-warnings"))
        #expect(reason.contains("city.name"))
        #expect(throws: Machine.Rejection.self) {
            try automatic.handle(.approvalRecorded(actor: "alice", allowDestructive: false))
        }
        #expect(automatic.state == .blocked, "an approval without --despite-warnings changes nothing")
        #expect(
            try automatic.handle(.approvalRecorded(actor: "alice", allowDestructive: false, despiteWarnings: true))
                == .prepareApply)
        #expect(automatic.state == .approved)
        #expect(automatic.lastError == nil)
        #expect(try automatic.handle(.preparedForApply(failing)) == .apply, "the accepted content goes on")

        var twoPeople = Machine(state: .planning, policy: .manual(approvals: 2))
        _ = try twoPeople.handle(.planned(failing))
        #expect(twoPeople.state == .blocked)
        #expect(
            try twoPeople.handle(.approvalRecorded(actor: "alice", allowDestructive: false, despiteWarnings: true))
                == .requestApproval)
        #expect(twoPeople.state == .awaitingApproval)
        #expect(try twoPeople.handle(.approvalRecorded(actor: "bob", allowDestructive: false)) == .prepareApply)

        var moved = Machine(state: .planning, policy: .automatic)
        _ = try moved.handle(.planned(failing))
        _ = try moved.handle(.approvalRecorded(actor: "alice", allowDestructive: false, despiteWarnings: true))
        let other = Machine.PlanResult.changes(
            contentKey: "diff-G", destructive: false, predictedFailure: "Directus fails on relation x")
        _ = try moved.handle(.preparedForApply(other))
        #expect(moved.state == .blocked, "accepting one prediction does not accept another plan's")
    }

    @Test("memory stored by an earlier version, without the newer keys, is read")
    func memoryFromEarlierVersion() throws {
        let json = #"{"approvedContentKey":"k","approvers":["alice"],"plannedDestructive":true}"#
        let memory = try JSONDecoder().decode(Machine.Memory.self, from: Data(json.utf8))
        #expect(memory.approvedContentKey == "k")
        #expect(memory.approvers == ["alice"])
        #expect(memory.staleAnswers == 0)
        #expect(memory.predictedFailure == nil)
    }

    @Test("the fresh diff before applying differs from the approved one: approval again")
    func driftBeforeApply() throws {
        var machine = Machine(state: .planning, policy: .manual())
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false))
        let moved = Machine.PlanResult.changes(contentKey: "diff-C", destructive: false)
        #expect(try machine.handle(.preparedForApply(moved)) == .requestApproval)
        #expect(machine.state == .awaitingApproval)
    }

    @Test("an apply whose outcome is unknown is resolved by verifying, never by sending again")
    func unknownOutcome() throws {
        var machine = Machine(state: .applying, policy: .automatic)
        #expect(try machine.handle(.applyFinished(.unknown)) == .verify)
        #expect(try machine.handle(.verified(.inSync)) == .finish(.applied))
    }

    @Test("a lost apply that never took effect is sent again, a bounded number of times")
    func lostApplyNeverTookEffect() throws {
        var machine = Machine(state: .planning, policy: .automatic)
        #expect(try machine.handle(.planned(change)) == .prepareApply)
        #expect(try machine.handle(.preparedForApply(change)) == .apply)
        for _ in 1..<Machine.maxUnconfirmedApplies {
            #expect(try machine.handle(.applyFinished(.unknown)) == .verify)
            #expect(try machine.handle(.verified(change)) == .prepareApply, "untouched target: safe to send again")
            #expect(machine.state == .approved)
            #expect(try machine.handle(.preparedForApply(change)) == .apply)
        }
        #expect(try machine.handle(.applyFinished(.unknown)) == .verify)
        #expect(try machine.handle(.verified(change)) == .alert(machine.lastError ?? "?"))
        #expect(machine.state == .failed)
        #expect(machine.retryable)
    }

    @Test("an accepted apply that left the target unchanged fails instead of sending again")
    func acceptedButUnchanged() throws {
        var machine = Machine(state: .planning, policy: .automatic)
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.preparedForApply(change))
        #expect(try machine.handle(.applyFinished(.accepted)) == .verify)
        #expect(try machine.handle(.verified(change)) == .alert("the target still differs after the apply"))
        #expect(machine.state == .failed)
    }

    @Test("a lost apply that half took effect fails: the target shows a different diff")
    func lostApplyHalfDone() throws {
        var machine = Machine(state: .planning, policy: .automatic)
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.preparedForApply(change))
        _ = try machine.handle(.applyFinished(.unknown))
        let rest = Machine.PlanResult.changes(contentKey: "rest", destructive: false)
        #expect(try machine.handle(.verified(rest)) == .alert("the target still differs after the apply"))
        #expect(machine.plannedContentKey == "rest")
    }

    @Test("drift on the target while waiting: plan again; the same plan keeps its approvals, a new one does not")
    func targetChangedWhileWaiting() throws {
        var machine = Machine(state: .planning, policy: .manual(approvals: 2))
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false))
        #expect(try machine.handle(.targetChanged) == .computeDiff)
        #expect(machine.state == .planning)
        #expect(try machine.handle(.planned(change)) == .requestApproval)
        #expect(machine.approvers == ["alice"], "same content: alice's approval stands")
        _ = try machine.handle(.targetChanged)
        let other = Machine.PlanResult.changes(contentKey: "diff-Z", destructive: false)
        #expect(try machine.handle(.planned(other)) == .requestApproval)
        #expect(machine.approvers.isEmpty, "different content: approve again")
    }

    @Test("the machine's memory survives a round trip through its persisted form")
    func memoryRoundTrip() throws {
        var machine = Machine(state: .planning, policy: .manual(approvals: 2))
        _ = try machine.handle(.planned(change))
        _ = try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: true))
        let rebuilt = Machine(state: machine.state, memory: machine.memory, policy: .manual(approvals: 2))
        #expect(rebuilt == machine)
        var next = rebuilt
        #expect(try next.handle(.approvalRecorded(actor: "bob", allowDestructive: false)) == .prepareApply)
    }

    @Test("refused applies fail; a retry plans again")
    func failureAndRetry() throws {
        var machine = Machine(state: .applying, policy: .automatic)
        #expect(
            try machine.handle(.applyFinished(.refused(reason: "Field \"x\" already exists", retryable: false)))
                == .alert("Field \"x\" already exists"))
        #expect(machine.state == .failed)
        #expect(!machine.retryable)
        #expect(try machine.handle(.retryRequested(actor: "alice")) == .computeDiff)
        #expect(machine.state == .planning)
        #expect(machine.lastError == nil)
    }

    @Test("blocked needs a person; a retry after fixing it plans again")
    func blocked() throws {
        var machine = Machine(state: .planning, policy: .automatic)
        #expect(
            try machine.handle(.blockedBy(reason: "version mismatch: 11.12.0 vs 11.17.4"))
                == .alert("version mismatch: 11.12.0 vs 11.17.4"))
        #expect(machine.state == .blocked)
        #expect(try machine.handle(.retryRequested(actor: "ops")) == .computeDiff)
    }

    @Test("already in sync: applied without an apply")
    func alreadyInSync() throws {
        var machine = Machine(state: .planning, policy: .manual())
        #expect(try machine.handle(.planned(.inSync)) == .finish(.applied))
    }

    @Test("destructive plans need an explicit --allow-destructive approval where the policy says so")
    func destructive() throws {
        var machine = Machine(state: .planning, policy: .automatic, destructiveNeedsExplicitApproval: true)
        let dropping = Machine.PlanResult.changes(contentKey: "drop", destructive: true)
        #expect(try machine.handle(.planned(dropping)) == .requestApproval, "automatic policy, but destructive")
        #expect(try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: false)) == .none)
        #expect(try machine.handle(.approvalRecorded(actor: "alice", allowDestructive: true)) == .prepareApply)
    }

    @Test("the pipeline gates each target on the one before it")
    func pipelineGates() throws {
        let pipeline = try Pipeline(source: "development", targets: ["staging", "production"])
        #expect(pipeline.upstream(of: "staging") == "development")
        #expect(pipeline.upstream(of: "production") == "staging")
        #expect(pipeline.gateIsOpen(for: "staging", appliedOnUpstream: false))
        #expect(!pipeline.gateIsOpen(for: "production", appliedOnUpstream: false))
        #expect(pipeline.gateIsOpen(for: "production", appliedOnUpstream: true))
        #expect(throws: Pipeline.Invalid.self) { try Pipeline(source: "dev", targets: []) }
        #expect(throws: Pipeline.Invalid.self) { try Pipeline(source: "dev", targets: ["staging", "dev"]) }
        #expect(ApprovalPolicy.defaultPolicy(forTargetAt: 0) == .automatic)
        #expect(ApprovalPolicy.defaultPolicy(forTargetAt: 1) == .manual(approvals: 1))
    }
}

/// Every (state, event) pair is a defined transition or an explicit rejection, and this table says which.
@Suite("Promotion state machine: every pair")
struct PromotionStateMachinePairTests {
    static let events: [(String, Machine.Event)] = [
        ("gateOpened", .gateOpened),
        ("planned", .planned(.changes(contentKey: "k", destructive: false))),
        ("preparedForApply", .preparedForApply(.changes(contentKey: "k", destructive: false))),
        ("applyFinished", .applyFinished(.accepted)),
        ("verified", .verified(.inSync)),
        ("approvalRecorded", .approvalRecorded(actor: "a", allowDestructive: false)),
        ("rejectionRecorded", .rejectionRecorded(actor: "a")),
        ("cancelRequested", .cancelRequested(actor: "a")),
        ("retryRequested", .retryRequested(actor: "a")),
        ("newerRevisionDetected", .newerRevisionDetected),
        ("targetChanged", .targetChanged),
        ("blockedBy", .blockedBy(reason: "r")),
        ("planningFailed", .planningFailed(reason: "r", retryable: true)),
    ]

    /// The events each state takes; everything else must be rejected.
    static let accepted: [Machine.State: Set<String>] = {
        let anyTime: Set<String> = ["cancelRequested", "newerRevisionDetected", "blockedBy"]
        return [
            .queued: anyTime.union(["gateOpened"]),
            .planning: anyTime.union(["planned", "planningFailed"]),
            .awaitingApproval: anyTime.union(["approvalRecorded", "rejectionRecorded", "targetChanged"]),
            .approved: anyTime.union(["preparedForApply"]),
            .applying: ["applyFinished"],
            .verifying: ["verified"],
            .stale: anyTime.union(["planned", "planningFailed"]),
            .failed: anyTime.union(["retryRequested"]),
            .blocked: anyTime.union(["retryRequested"]),
            .applied: [], .rejected: [], .superseded: [], .cancelled: [],
        ]
    }()

    @Test("each pair is a transition or a rejection, as the table says", arguments: Machine.State.allCases)
    func pairs(state: Machine.State) {
        let expected = Self.accepted[state] ?? []
        for (name, event) in Self.events {
            var machine = Machine(state: state, policy: .manual())
            do {
                _ = try machine.handle(event)
                #expect(expected.contains(name), "\(state) took \(name)")
            } catch {
                #expect(!expected.contains(name), "\(state) rejected \(name)")
                #expect(machine.state == state, "a rejected event leaves the state alone")
            }
        }
    }
}
