import DirectusClient
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension PromotionEngine {
    /// One observation turned into an event for the machine, with what to store alongside the transition.
    struct Step {
        var event: PromotionStateMachine.Event
        var message: String
        var changes = Store.TransitionChanges()
        var details: String?
        /// The target's snapshot this step observed (its expectation once the promotion is applied).
        var observedTargetHash: String?
        /// The target's configuration this step observed (canonical; its expectation once applied).
        var observedConfigHash: String?
        /// The target's reference data this step observed (canonical; its expectation once applied).
        var observedContentHash: String?
    }

    /// What a promotion sends once approved: the schema diff, the configuration plan and the reference data plan
    /// (each may be absent), in that order.
    struct PendingRelease {
        var schema: PendingDiff?
        var configuration: ConfigurationObserver.Observation?
        var content: ContentObserver.Observation?
    }

    /// Carries every promotion in flight, target by target in pipeline order (so a revision verified on staging
    /// opens production's gate in the same tick), oldest revision first.
    func drivePromotions(_ report: inout TickReport) async throws {
        let open = try store.promotions(inStates: PromotionState.open)
        for target in configuration.pipeline.targets {
            for promotion in open where promotion.target == target {
                if !shouldContinue() { return }
                // Re-read: an earlier promotion's transitions (supersede, decisions) may have moved it.
                guard let current = try store.promotion(id: promotion.id) else { continue }
                let after = try await drive(current, &report)
                // An older apply still unresolved on this target keeps newer ones waiting.
                if PromotionState.changingTarget.contains(after.state) { break }
            }
        }
    }

    /// Moves one promotion as far as it can go now: until it waits for a gate, a person or a target, or ends.
    func drive(_ start: PromotionRecord, _ report: inout TickReport) async throws -> PromotionRecord {
        var promotion = start
        var machine = self.machine(for: promotion)
        // The fresh diff taken right before applying, for the apply that follows it in this same drive.
        var pending: PendingRelease?
        var steps = 0
        // A bounded number of steps; but an apply that is due is always sent: neither the bound nor a shutdown
        // may leave a promotion in `applying` with nothing sent.
        while steps < 24 || (machine.state == .applying && pending != nil) {
            steps += 1
            if !shouldContinue() && !(machine.state == .applying && pending != nil) { break }
            var step: Step
            switch machine.state {
            case .queued:
                guard let opened = try gateToPlanning(promotion, &report) else { return promotion }
                step = opened
            case .planning, .stale:
                if let retryAt = machine.staleRetryAt, now() < retryAt {
                    try noteWaiting(
                        promotion,
                        "Directus refused the diff's hash \(machine.memory.staleAnswers) times in a row; planning "
                            + "again at \(Timestamp.utc(retryAt))", until: retryAt, &report)
                    return promotion
                }
                guard let planned = try await observe(promotion, for: .plan, &report) else { return promotion }
                step = planned.step
            case .approved:
                let settings = configuration.settings(promotion.target)
                if case .wait(let until, let reason) = PromotionGate.applying(
                    target: promotion.target, windows: settings.windows, now: now())
                {
                    try noteWaiting(promotion, reason, until: until, &report)
                    return promotion
                }
                guard let prepared = try await observe(promotion, for: .prepare, &report) else { return promotion }
                step = prepared.step
                pending = prepared.pending
            case .applying:
                if let diff = pending {
                    step = await apply(diff, promotion)
                    pending = nil
                } else if resumedApplying.remove(promotion.id) != nil {
                    step = Step(
                        event: .applyFinished(.unknown),
                        message: "the daemon stopped while this apply was in flight: its outcome is unknown, verifying")
                } else {
                    step = Step(
                        event: .applyFinished(.unknown),
                        message: "an earlier tick stopped after recording this apply as due and before recording an "
                            + "answer: whether it was sent is unknown, verifying")
                }
            case .verifying:
                guard let verified = try await observe(promotion, for: .verify, &report) else { return promotion }
                step = verified.step
            case .awaitingApproval, .failed, .blocked, .applied, .rejected, .superseded, .cancelled:
                return promotion
            }
            let before = machine.state
            let action: PromotionStateMachine.Action
            do {
                action = try machine.handle(step.event)
            } catch {
                logger.error("\(error)", metadata: ["promotion": "\(promotion.id)"])
                return promotion
            }
            if machine.state == .applying && before != .applying { step.changes.attemptsDelta = 1 }
            step.message += outcome(of: action, machine)
            promotion = try persist(
                promotion, machine, message: step.message, changes: step.changes, details: step.details,
                report: &report)
            if let retryAt = machine.staleRetryAt { report.wake(at: retryAt) }
            if machine.state == .applied, let hash = step.observedTargetHash {
                // What the target has now is what it should keep having.
                let isRollback = try store.revision(id: promotion.revisionID)?.environment == promotion.target
                try store.setExpectation(
                    environment: promotion.target, snapshotHash: hash, reason: isRollback ? .rolledBack : .verified,
                    actor: Self.actor,
                    message: isRollback ? "\(promotion.target) was rolled back (promotion \(promotion.id))" : nil,
                    at: now())
                if let configHash = step.observedConfigHash {
                    try store.setConfigExpectation(
                        environment: promotion.target, configHash: configHash,
                        reason: isRollback ? .rolledBack : .verified, actor: Self.actor, message: nil, at: now())
                }
                if let contentHash = step.observedContentHash {
                    try store.setContentExpectation(
                        environment: promotion.target, contentHash: contentHash,
                        reason: isRollback ? .rolledBack : .verified, actor: Self.actor, message: nil, at: now())
                }
            }
        }
        return promotion
    }

    /// Whether a queued promotion may start planning (`PromotionGate.planning`): the step that opens it, or nil
    /// when it waits (a soak time is noted once).
    func gateToPlanning(_ promotion: PromotionRecord, _ report: inout TickReport) throws -> Step? {
        let pipeline = configuration.pipeline
        let target = promotion.target
        let isRollback = try store.revision(id: promotion.revisionID).map { $0.environment != pipeline.source } ?? false
        let upstream = pipeline.upstream(of: target)
        let upstreamPromotion = try upstream.flatMap {
            try store.promotion(revisionID: promotion.revisionID, target: $0)
        }
        let gate = PromotionGate.planning(
            target: target, pipeline: pipeline, isRollback: isRollback,
            upstreamAppliedAt: upstreamPromotion?.state == .applied ? upstreamPromotion?.updatedAt : nil,
            soak: configuration.settings(target).soak, now: now())
        switch gate {
        case .upstream:
            return nil
        case .wait(let until, let reason):
            try noteWaiting(promotion, reason, until: until, &report)
            return nil
        case .open:
            let message =
                isRollback
                ? "planning the rollback of \(target) to its earlier schema (revision r\(promotion.revisionID))"
                : upstream == pipeline.source
                    ? "planning revision \(promotion.revisionID) on \(target)"
                    : "revision \(promotion.revisionID) is applied on \(upstream ?? "?"): planning on \(target)"
            return Step(event: .gateOpened, message: message)
        }
    }

    /// A reason to wait that is not a failure (a soak time, a closed window, a backoff), noted once; the tick says
    /// when it next needs to wake for it.
    func noteWaiting(_ promotion: PromotionRecord, _ reason: String, until: Date?, _ report: inout TickReport) throws {
        report.problems.append("promotion \(promotion.id): \(reason)")
        if let until { report.wake(at: until) }
        if try store.noteProblem(
            promotionID: promotion.id, state: promotion.state, problem: reason, actor: Self.actor, at: now())
        {
            logger.notice("\(reason)", metadata: ["promotion": "\(promotion.id)"])
        }
    }

    /// What the machine decided, for the audit message.
    func outcome(of action: PromotionStateMachine.Action, _ machine: PromotionStateMachine) -> String {
        switch action {
        case .requestApproval:
            let count = machine.policy.requiredApprovals
            let destructive =
                machine.destructiveNeedsExplicitApproval && machine.plannedDestructive
                ? ", given with --allow-destructive (the plan deletes data)" : ""
            return "; waiting for \(max(count, 1)) approval\(count == 1 ? "" : "s")\(destructive)"
        case .prepareApply where machine.state == .approved:
            return machine.policy.isAutomatic ? "; approved by policy" : "; approved"
        case .apply: return "; applying"
        case .verify: return "; verifying"
        case .alert(let reason): return ": \(reason)"
        default: return ""
        }
    }
}
