import DirectusSchema
import Foundation
import PromotionCore
import TestSupport
import Testing

/// The decisions the engine, the CLI and the web view share, as pure values: gates, shaping, failure classes, the
/// poll schedule and decision legality. No I/O, no clock.
@Suite("Decision rules")
struct DecisionRuleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let pipeline = try! Pipeline(source: "development", targets: ["staging", "production"])

    // MARK: Gates

    @Test("the planning gate: the first target at once; later ones after upstream, then after the soak")
    func planningGate() {
        #expect(
            PromotionGate.planning(
                target: "staging", pipeline: pipeline, isRollback: false, upstreamAppliedAt: nil, soak: .seconds(3600),
                now: now) == .open, "the first target waits for nothing, soak or not")
        #expect(
            PromotionGate.planning(
                target: "production", pipeline: pipeline, isRollback: false, upstreamAppliedAt: nil, soak: .zero,
                now: now) == .upstream)
        #expect(
            PromotionGate.planning(
                target: "production", pipeline: pipeline, isRollback: false, upstreamAppliedAt: now, soak: .zero,
                now: now) == .open)
        let soaking = PromotionGate.planning(
            target: "production", pipeline: pipeline, isRollback: false, upstreamAppliedAt: now,
            soak: .seconds(3600), now: now.addingTimeInterval(60))
        guard case .wait(let until, let reason) = soaking else {
            Issue.record("expected a wait, got \(soaking)")
            return
        }
        #expect(until == now.addingTimeInterval(3600))
        #expect(reason.contains("soaking") && reason.contains(Timestamp.utc(now.addingTimeInterval(3600))))
        #expect(
            PromotionGate.planning(
                target: "production", pipeline: pipeline, isRollback: false, upstreamAppliedAt: now,
                soak: .seconds(3600), now: now.addingTimeInterval(3600)) == .open)
        #expect(
            PromotionGate.planning(
                target: "production", pipeline: pipeline, isRollback: true, upstreamAppliedAt: nil,
                soak: .seconds(3600),
                now: now) == .open, "a rollback waits for nothing upstream")
        #expect(
            PromotionGate.planning(
                target: "elsewhere", pipeline: pipeline, isRollback: false, upstreamAppliedAt: now, soak: .zero,
                now: now) == .upstream, "not a target of this pipeline")
    }

    @Test("the applying gate: open inside a window, else a wait until the next opening")
    func applyingGate() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        // 1_800_000_000 is a Friday, 08:00 UTC.
        let office = PromotionWindow(days: Set(1...5), start: 9 * 60, end: 17 * 60, timeZone: utc)
        #expect(PromotionGate.applying(target: "production", windows: [], now: now) == .open)
        #expect(
            PromotionGate.applying(target: "production", windows: [office], now: now.addingTimeInterval(3600)) == .open)
        guard
            case .wait(let until, let reason) = PromotionGate.applying(
                target: "production", windows: [office], now: now)
        else {
            Issue.record("expected a wait")
            return
        }
        #expect(until == now.addingTimeInterval(3600))
        #expect(reason.hasPrefix("outside production's promotion windows; the next opens at"))
    }

    // MARK: Shaping

    /// A diff from the base snapshot to one that adds a field, deletes one and changes a system index.
    func sample() throws -> (current: Snapshot, raw: JSONValue) {
        var current = Fixtures.fieldsChange
        current.root["systemFields"] = [
            ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]]
        ]
        var after = current
        after.fields = current.fields.filter { $0["field"]?.stringValue != "name" }
        after.fields.append([
            "collection": "state", "field": "code", "type": "string",
            "meta": ["collection": "state", "field": "code", "interface": "input"],
            "schema": ["name": "code", "table": "state", "data_type": "character varying", "is_nullable": true],
        ])
        after.root["systemFields"] = [
            ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": false]]
        ]
        return (current, SnapshotDiffer.diff(current: current, after: after).json())
    }

    @Test("shaping: ignored entities, system index changes and (under never) destructive changes are left out")
    func shaping() throws {
        let (current, raw) = try sample()
        let everything = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: true, destructive: .allow)
        let all = try #require(everything.shape(raw, current: current))
        #expect(all.notes.isEmpty)
        #expect(all.plan.summary.deletes >= 1 && all.plan.summary.creates == 1)
        #expect((all.raw["systemFields"]?.arrayValue ?? []).count == 1)

        let keep = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .allow)
        let kept = try #require(keep.shape(raw, current: current))
        let keptSystemFields = kept.raw["systemFields"]?.arrayValue ?? []
        #expect(keptSystemFields.isEmpty)
        #expect(kept.notes.contains("1 system index change left out (system_indexes: keep)"))

        let ignoring = DiffShaper(ignore: IgnoreRules(["state"]), manageSystemIndexes: false, destructive: .allow)
        let withoutState = try #require(ignoring.shape(raw, current: current))
        #expect(withoutState.plan.summary.creates == 0)
        #expect(withoutState.notes.contains("2 ignored entities left out"), "state.code and state.name")

        let never = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .never)
        let safe = try #require(never.shape(raw, current: current))
        #expect(safe.plan.summary.deletes == 0, "the delete is never applied")
        #expect(safe.plan.summary.creates == 1, "the rest is")
        #expect(safe.notes.contains { $0.hasPrefix("never applied (destructive: never): delete field") })
    }

    @Test("the upload keeps the target's system indexes unless promotions manage them")
    func upload() {
        var source = Fixtures.fieldsChange
        source.root["systemFields"] = nil
        var target = Fixtures.fieldsChange
        target.root["systemFields"] = [["collection": "directus_activity", "field": "timestamp"]]
        let keep = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .allow)
        #expect(keep.upload(source, to: target).root["systemFields"] == target.root["systemFields"])
        let manage = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: true, destructive: .allow)
        #expect(manage.upload(source, to: target).root["systemFields"] == nil)
    }

    // MARK: Failures

    @Test(
        "what a failure means, step by step",
        arguments: [
            (FailureCause.unreachable, FailureClass.Step.plan, FailureClass.transient),
            (.timeout, .prepare, .transient),
            (.budgetExhausted, .verify, .transient),
            (.serverError(status: 503), .plan, .transient),
            (.unauthorized(expired: false), .plan, .stalled),
            (.unauthorized(expired: true), .plan, .transient),
            (.forbidden, .prepare, .stalled),
            (.versionMismatch, .plan, .stalled),
            (.redirected, .plan, .stalled),
            (.forbidden, .verify, .transient),
            (.payloadRejected, .plan, .refused(retryable: false)),
            (.tooLarge, .plan, .refused(retryable: false)),
            (.tooLarge, .verify, .transient),
            (.cancelled, .plan, .cancelled),
            (.cancelled, .apply, .cancelled),
            (.staleHash, .apply, .staleTarget),
            (.conflict, .apply, .staleTarget),
            (.timeout, .apply, .outcomeUnknown),
            (.applyOutcomeUnknown, .apply, .outcomeUnknown),
            (.applyFailed, .apply, .refused(retryable: false)),
            (.serverError(status: 500), .apply, .refused(retryable: true)),
        ])
    func failures(cause: FailureCause, step: FailureClass.Step, expected: FailureClass) {
        #expect(FailureClass.of(cause, during: step, now: now) == expected)
    }

    @Test("a rate limit with advice waits until then")
    func rateLimit() {
        #expect(
            FailureClass.of(.rateLimited(retryAfter: .seconds(20)), during: .plan, now: now)
                == .waitingUntil(now.addingTimeInterval(20)))
        #expect(FailureClass.of(.rateLimited(retryAfter: nil), during: .plan, now: now) == .transient)
    }

    // MARK: Schedule

    @Test("the poll schedule: the interval with jitter, or sooner when a tick asks")
    func schedule() {
        let schedule = PollSchedule(interval: .seconds(60), jitter: 0.1)
        #expect(schedule.delay(random: 0, nextWake: nil, now: now) == .seconds(60))
        #expect(schedule.delay(random: 1, nextWake: nil, now: now) == .seconds(66))
        #expect(schedule.delay(random: .nan, nextWake: nil, now: now) == .seconds(60))
        #expect(schedule.delay(random: 0, nextWake: now.addingTimeInterval(5), now: now) == .seconds(5))
        #expect(schedule.delay(random: 0, nextWake: now.addingTimeInterval(600), now: now) == .seconds(60))
        #expect(schedule.delay(random: 0, nextWake: now.addingTimeInterval(-5), now: now) == .zero)
    }

    // MARK: Decisions

    @Test("a decision's effect is the machine's own answer, with the command that would work")
    func decisionChecks() throws {
        let change = PromotionStateMachine.PlanResult.changes(contentKey: "k", destructive: true)
        var machine = PromotionStateMachine(
            state: .planning, policy: .manual(), destructiveNeedsExplicitApproval: true)
        _ = try machine.handle(.planned(change))
        #expect(
            machine.check(.approve, actor: "alice", id: 7)
                == .refused(
                    reason: "its plan deletes data and needs an approval given with --allow-destructive",
                    instead: "directus-promoter approve 7 --allow-destructive"))
        #expect(machine.check(.approve, actor: "alice", allowDestructive: true, id: 7) == .takesEffect(.approved))
        #expect(machine.check(.reject, actor: "alice", id: 7) == .takesEffect(.rejected))
        guard case .refused(let reason, nil) = machine.check(.retry, actor: "alice", id: 7) else {
            Issue.record("retry should be refused")
            return
        }
        #expect(reason == "it is awaiting approval; only a promotion that is failed or blocked can be retried")

        var two = PromotionStateMachine(state: .planning, policy: .manual(approvals: 2))
        _ = try two.handle(.planned(.changes(contentKey: "k", destructive: false)))
        #expect(two.check(.approve, actor: "alice", id: 8) == .counted("1 of 2 approvals"))

        let predicted = PromotionStateMachine.PlanResult.changes(
            contentKey: "p", destructive: false, predictedFailure: "Directus fails on field a.b")
        var blocked = PromotionStateMachine(state: .planning, policy: .automatic)
        _ = try blocked.handle(.planned(predicted))
        #expect(
            blocked.check(.approve, actor: "alice", id: 9)
                == .refused(
                    reason: "its plan predicts that Directus fails the apply (Directus fails on field a.b)",
                    instead: "directus-promoter approve 9 --despite-warnings"))
        #expect(blocked.check(.approve, actor: "alice", despiteWarnings: true, id: 9) == .takesEffect(.approved))
        #expect(PromotionState.awaitingApproval.accepts(.approve) && !PromotionState.applied.accepts(.cancel))
    }
}
