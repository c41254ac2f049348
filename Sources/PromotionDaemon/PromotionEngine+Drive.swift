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
    }

    /// Why the engine diffs a target: to plan, right before applying, or to verify an apply.
    enum Purpose {
        case plan, prepare, verify
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
        var pending: PendingDiff?
        var steps = 0
        // A bounded number of steps; but an apply that is due is always sent: neither the bound nor a shutdown
        // may leave a promotion in `applying` with nothing sent.
        while steps < 24 || (machine.state == .applying && pending != nil) {
            steps += 1
            if !shouldContinue() && !(machine.state == .applying && pending != nil) { break }
            var step: Step
            switch machine.state {
            case .queued:
                if let revision = try store.revision(id: promotion.revisionID),
                    revision.environment != configuration.pipeline.source
                {
                    // A rollback: its own revision, for this environment alone; no upstream gate.
                    step = Step(
                        event: .gateOpened,
                        message:
                            "planning the rollback of \(promotion.target) to its earlier schema (revision r\(revision.id))"
                    )
                    break
                }
                guard let upstream = configuration.pipeline.upstream(of: promotion.target) else { return promotion }
                let upstreamState = try store.promotion(revisionID: promotion.revisionID, target: upstream)?.state
                let appliedUpstream = upstream == configuration.pipeline.source || upstreamState == .applied
                guard configuration.pipeline.gateIsOpen(for: promotion.target, appliedOnUpstream: appliedUpstream)
                else { return promotion }
                let soak = configuration.settings(promotion.target).soak
                if upstream != configuration.pipeline.source, soak > .zero,
                    let appliedAt = try store.promotion(revisionID: promotion.revisionID, target: upstream)?.updatedAt
                {
                    let ready = appliedAt.addingTimeInterval(soak.seconds)
                    if now() < ready {
                        try noteWaiting(
                            promotion,
                            "soaking: revision \(promotion.revisionID) has been on \(upstream) since "
                                + "\(PromotionView.timestamp(appliedAt)); it starts here at \(PromotionView.timestamp(ready))",
                            &report)
                        return promotion
                    }
                }
                step = Step(
                    event: .gateOpened,
                    message: upstream == configuration.pipeline.source
                        ? "planning revision \(promotion.revisionID) on \(promotion.target)"
                        : "revision \(promotion.revisionID) is applied on \(upstream): planning on \(promotion.target)")
            case .planning, .stale:
                if let retryAt = machine.staleRetryAt, now() < retryAt {
                    try noteWaiting(
                        promotion,
                        "Directus refused the diff's hash \(machine.memory.staleAnswers) times in a row; planning "
                            + "again at \(PromotionView.timestamp(retryAt))", &report)
                    return promotion
                }
                guard let planned = try await observe(promotion, for: .plan, &report) else { return promotion }
                step = planned.step
            case .approved:
                let windows = configuration.settings(promotion.target).windows
                if !PromotionWindow.isOpen(windows, at: now()) {
                    let next = PromotionWindow.nextOpening(windows, after: now()).map {
                        "; the next opens at \(PromotionView.timestamp($0))"
                    }
                    try noteWaiting(promotion, "outside \(promotion.target)'s promotion windows\(next ?? "")", &report)
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
            if machine.state == .applied, let hash = step.observedTargetHash {
                // What the target has now is what it should keep having.
                let isRollback = try store.revision(id: promotion.revisionID)?.environment == promotion.target
                try store.setExpectation(
                    environment: promotion.target, snapshotHash: hash, reason: isRollback ? .rolledBack : .verified,
                    actor: Self.actor,
                    message: isRollback ? "\(promotion.target) was rolled back (promotion \(promotion.id))" : nil,
                    at: now())
            }
        }
        return promotion
    }

    /// A reason to wait that is not a failure (a soak time, a closed window), noted once.
    func noteWaiting(_ promotion: PromotionRecord, _ reason: String, _ report: inout TickReport) throws {
        report.problems.append("promotion \(promotion.id): \(reason)")
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
        case .finish(.applied): return ""
        default: return ""
        }
    }

    // MARK: Observing a target

    /// Snapshots the target and diffs the revision against it. Returns nil when a problem that should pass
    /// (a target down, a transient error) keeps the promotion where it is; that problem is recorded once.
    func observe(
        _ promotion: PromotionRecord, for purpose: Purpose, _ report: inout TickReport
    ) async throws -> (step: Step, pending: PendingDiff?)? {
        let target = promotion.target
        let settings = configuration.settings(target)
        let client = try client(target)
        let source = try revisionSnapshot(promotion.revisionID)
        let targetSnapshot: Snapshot
        let result: DiffResult
        do {
            targetSnapshot = try await client.snapshot()
            result = try await client.diff(
                to: upload(source, to: targetSnapshot, settings: settings), force: settings.force)
        } catch {
            return try await failedObservation(promotion, purpose: purpose, error: error, &report)
        }
        noteCondition(target, failure: nil)
        let at = now()
        let targetHash = try record(targetSnapshot, of: target, at: at)
        var changes = Store.TransitionChanges(lastError: .some(nil))
        if purpose == .prepare { changes.preApplySnapshotHash = .some(targetHash) }
        let planResult: PromotionStateMachine.PlanResult
        var message: String
        var pending: PendingDiff?
        var details: String?
        var shaped: (raw: JSONValue, plan: Plan, notes: [String])?
        if case .changes(let diff) = result {
            guard let value = shape(diff, target: target, current: targetSnapshot) else {
                return try await failedObservation(
                    promotion, purpose: purpose,
                    error: .malformedResponse(detail: "the diff could not be read after filtering"), &report)
            }
            shaped = value
        }
        let notes = shaped.map { $0.notes.isEmpty ? "" : " [\($0.notes.joined(separator: "; "))]" } ?? ""
        if case .changes(let diff) = result, let shaped, !DiffFilter.isEmpty(shaped.raw) {
            let plan = shaped.plan
            let key = DiffContentKey.key(of: shaped.raw)
            let stored = try store.recordDiff(
                revisionID: promotion.revisionID, target: target, directusHash: diff.hash,
                targetSnapshotHash: targetHash, diff: shaped.raw, summary: plan.summary, contentKey: key, at: at)
            changes.diffID = .some(stored.id)
            planResult = .changes(
                contentKey: key, destructive: plan.isDestructive, predictedFailure: Self.predictedFailure(of: plan))
            pending = PendingDiff(
                hash: diff.hash, diff: (try? SnapshotDiff(json: shaped.raw)) ?? diff.diff, raw: shaped.raw)
            var detailsJSON = PlanRenderer.json(plan).objectValue ?? JSONObject()
            var summary = Self.describe(plan.summary)
            if purpose != .verify && plan.isDestructive {
                let counts = await rowCounts(of: plan, on: target)
                if !counts.isEmpty {
                    detailsJSON["row_counts"] = .object(
                        JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, .number(JSONNumber($0.value))) }))
                    summary +=
                        "; deletes "
                        + counts.sorted { $0.key < $1.key }.map {
                            "\($0.key) (\($0.value) row\($0.value == 1 ? "" : "s"))"
                        }
                        .joined(separator: ", ")
                }
            }
            details = JSONWriter().string(.object(detailsJSON))
            message =
                switch purpose {
                case .plan: "planned on \(target): \(summary) (diff hash \(diff.hash.prefix(12)))\(notes)"
                case .prepare:
                    "fresh diff before applying on \(target): \(summary) (hash \(diff.hash.prefix(12)))\(notes)"
                case .verify: "\(target) still differs after the apply: \(summary)\(notes)"
                }
        } else {
            planResult = .inSync
            message =
                switch purpose {
                case .plan: "\(target) already has revision \(promotion.revisionID)\(notes)"
                case .prepare: "\(target) already has revision \(promotion.revisionID); nothing to apply\(notes)"
                case .verify: "verified: \(target) has revision \(promotion.revisionID)\(notes)"
                }
        }
        let event: PromotionStateMachine.Event =
            switch purpose {
            case .plan: .planned(planResult)
            case .prepare: .preparedForApply(planResult)
            case .verify: .verified(planResult)
            }
        return (
            Step(event: event, message: message, changes: changes, details: details, observedTargetHash: targetHash),
            pending
        )
    }

    /// A target that could not be observed: a person must act (mismatch, credentials, permissions), the plan
    /// cannot be made (Directus refuses the snapshot), or the problem should pass and the promotion waits.
    func failedObservation(
        _ promotion: PromotionRecord, purpose: Purpose, error: DirectusClientError, _ report: inout TickReport
    ) async throws -> (step: Step, pending: PendingDiff?)? {
        if case .cancelled = error { throw EngineError.stopped }
        noteCondition(promotion.target, failure: error)
        let needsPerson: Bool
        let unplannable: Bool
        switch error {
        case .versionMismatch, .vendorMismatch, .forbidden, .unauthorized(expired: false, _), .redirected:
            needsPerson = true
            unplannable = false
        case .payloadRejected, .malformedResponse, .responseTooLarge:
            needsPerson = false
            unplannable = true
        default:
            needsPerson = false
            unplannable = false
        }
        if needsPerson && purpose != .verify {
            return (Step(event: .blockedBy(reason: "\(promotion.target): \(error)"), message: "blocked"), nil)
        }
        if unplannable && purpose == .plan {
            return (
                Step(
                    event: .planningFailed(reason: "\(promotion.target): \(error)", retryable: false),
                    message: "cannot plan on \(promotion.target)"), nil
            )
        }
        let problem = "waiting for \(promotion.target): \(error)"
        report.problems.append("promotion \(promotion.id): \(problem)")
        if purpose == .plan || purpose == .verify {
            _ = try? store.recordObservation(
                environment: promotion.target, snapshot: nil, error: "\(error)", at: now())
        }
        if try store.noteProblem(
            promotionID: promotion.id, state: promotion.state, problem: problem, actor: Self.actor, at: now())
        {
            logger.warning("\(problem)", metadata: ["promotion": "\(promotion.id)"])
        }
        return nil
    }

    // MARK: Applying

    /// Sends the apply once, shielded from the tick's cancellation (a shutdown lets a sent apply finish rather
    /// than abandoning it mid-request), and turns the answer into the machine's outcome.
    func apply(_ diff: PendingDiff, _ promotion: PromotionRecord) async -> Step {
        let force = configuration.settings(promotion.target).force
        let client: DirectusClient
        do {
            client = try self.client(promotion.target)
        } catch {
            return Step(event: .applyFinished(.refused(reason: "\(error)", retryable: false)), message: "not sent")
        }
        let answer = await Task { () -> DirectusClientError? in
            do throws(DirectusClientError) {
                try await client.apply(diff, force: force)
                return nil
            } catch {
                return error
            }
        }.value
        let target = promotion.target
        guard let error = answer else {
            return Step(event: .applyFinished(.accepted), message: "\(target) accepted the apply")
        }
        switch error {
        case .staleHash(let message):
            return Step(
                event: .applyFinished(.stale(reason: message, at: now())),
                message: "\(target) refused the diff's hash (\"\(message)\"): its schema changed after the diff, "
                    + "or it says so")
        case .conflict:
            return Step(
                event: .applyFinished(.stale(reason: error.description, at: now())),
                message: "\(target) refused the diff as out of date (\(error))")
        case .applyOutcomeUnknown, .timeout, .unreachable:
            return Step(
                event: .applyFinished(.unknown), message: "the apply's answer was lost (\(error))")
        case .applyFailed, .payloadRejected, .versionMismatch, .vendorMismatch:
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(error)", retryable: false)),
                message: "\(target) refused the apply")
        default:
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(error)", retryable: true)),
                message: "the apply failed on \(target)")
        }
    }

    // MARK: Helpers

    func revisionSnapshot(_ revisionID: Int64) throws -> Snapshot {
        guard let revision = try store.revision(id: revisionID) else {
            throw StoreError.notFound("revision \(revisionID)")
        }
        if let cached = snapshots[revision.snapshotHash] { return cached }
        guard let snapshot = try store.snapshot(hash: revision.snapshotHash) else {
            throw EngineError.missingSnapshot(revision.snapshotHash)
        }
        snapshots[revision.snapshotHash] = snapshot
        return snapshot
    }

    /// Why Directus is expected to fail a plan's apply, from the plan's own warnings; nil when none predicts it.
    static func predictedFailure(of plan: Plan) -> String? {
        let failures = plan.warnings.filter { $0.effect == .fails }
        guard !failures.isEmpty else { return nil }
        let shown = failures.prefix(3).map(\.description).joined(separator: "; ")
        return failures.count > 3 ? "\(shown); and \(failures.count - 3) more" : shown
    }

    static func describe(_ summary: Plan.Summary) -> String {
        var parts: [String] = []
        if summary.creates > 0 { parts.append("\(summary.creates) to create") }
        if summary.updates > 0 { parts.append("\(summary.updates) to update") }
        if summary.deletes > 0 { parts.append("\(summary.deletes) to delete") }
        var text = parts.isEmpty ? "no entity changes" : parts.joined(separator: ", ")
        if summary.destructive > 0 { text += " (\(summary.destructive) destructive)" }
        return text
    }
}
