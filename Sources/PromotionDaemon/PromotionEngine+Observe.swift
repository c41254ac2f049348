import DirectusClient
import DirectusConfig
import DirectusContent
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension PromotionEngine {
    /// Snapshots the target and diffs the revision against it (`TargetPlanner`, shaped by `DiffShaper`), for
    /// `step` (plan, prepare or verify). Returns nil when a problem that should pass (a target down, a transient
    /// error) keeps the promotion where it is; that problem is recorded once.
    func observe(
        _ promotion: PromotionRecord, for step: FailureClass.Step, _ report: inout TickReport
    ) async throws -> (step: Step, pending: PendingRelease?)? {
        let target = promotion.target
        let settings = configuration.settings(target)
        let observation: TargetPlanner.Observation
        let configObservation: ConfigurationObserver.Observation?
        let contentObservation: ContentObserver.Observation?
        do {
            observation = try await TargetPlanner.observe(
                source: try revisionSnapshot(promotion.revisionID), on: try client(target),
                shaper: configuration.shaper(for: target),
                step: .init(source: configuration.pipeline.source, target: target, force: settings.force))
            configObservation = try await observeConfiguration(promotion)
            contentObservation = try await observeContent(promotion, targetSchema: observation.target)
        } catch let error as DirectusClientError {
            return try failedObservation(promotion, step: step, error: error, &report)
        }
        noteCondition(target, failure: nil)
        if let reason = observation.incompatible {
            // A person must upgrade one side or force the target; a verification never blocks (the apply is done).
            _ = try record(observation.target, of: target, at: now())
            if step == .verify {
                report.problems.append("promotion \(promotion.id): cannot verify on \(target): \(reason)")
                return nil
            }
            return (Step(event: .blockedBy(reason: reason), message: "blocked: \(reason)"), nil)
        }
        if step != .verify, let reason = configObservation?.plan.blockingReason {
            _ = try record(observation.target, of: target, at: now())
            return (Step(event: .blockedBy(reason: reason), message: "blocked: \(reason)"), nil)
        }
        let at = now()
        let targetHash = try record(observation.target, of: target, at: at)
        let configHash = try configObservation.map { try store.storeConfiguration($0.observed, at: at) }
        let contentHash = try contentObservation.map { try store.storeContent($0.observed, at: at) }
        var changes = Store.TransitionChanges(lastError: .some(nil))
        if step == .prepare {
            changes.preApplySnapshotHash = .some(targetHash)
            if let configHash { changes.preApplyConfigHash = .some(configHash) }
            if let contentHash { changes.preApplyContentHash = .some(contentHash) }
        }
        var allNotes = observation.shaped?.notes ?? []
        if case .acrossVersions(let note) = observation.verdict { allNotes.insert(note, at: 0) }
        let notes = allNotes.isEmpty ? "" : " [\(allNotes.joined(separator: "; "))]"
        let configPlan = configObservation?.plan
        let configChanges = configPlan.map { !$0.isEmpty } ?? false
        let contentPlan = contentObservation?.plan
        let contentChanges = contentPlan.map { !$0.isEmpty } ?? false
        let contentJSON = contentChanges ? contentPlan.map(ContentPlanRenderer.json) : nil
        let schemaChanges = observation.pending != nil && !(observation.shaped?.isEmpty ?? true)
        let planResult: PromotionStateMachine.PlanResult
        let message: String
        var details: String?
        if schemaChanges || configChanges || contentChanges {
            var detailsJSON = JSONObject()
            var summaries: [String] = []
            var keys: [String] = []
            var destructive = false
            var predicted: String?
            let configJSON = configPlan.map(ConfigPlanRenderer.json)
            var hashNote = ""
            if schemaChanges, let pending = observation.pending, let shaped = observation.shaped {
                let plan = shaped.plan
                let key = DiffContentKey.key(of: shaped.raw)
                let stored = try store.recordDiff(
                    revisionID: promotion.revisionID, target: target, directusHash: pending.hash,
                    targetSnapshotHash: targetHash, diff: shaped.raw, summary: plan.summary, contentKey: key,
                    configPlan: configChanges ? configJSON : nil, contentPlan: contentJSON, at: at)
                changes.diffID = .some(stored.id)
                keys.append(key)
                destructive = plan.isDestructive
                predicted = DiffShaper.predictedFailure(of: plan)
                detailsJSON = PlanRenderer.json(plan).objectValue ?? JSONObject()
                var summary = Self.describe(plan.summary)
                if step != .verify && plan.isDestructive {
                    let counts = await rowCounts(of: plan, on: target)
                    if !counts.isEmpty {
                        let sorted = counts.sorted { $0.key < $1.key }
                        detailsJSON["row_counts"] = .object(
                            JSONObject(sorted.map { ($0.key, .number(JSONNumber($0.value))) }))
                        summary +=
                            "; deletes "
                            + sorted.map { "\($0.key) (\($0.value) row\($0.value == 1 ? "" : "s"))" }.joined(
                                separator: ", ")
                    }
                }
                summaries.append(summary)
                hashNote = " (\(step == .plan ? "diff hash" : "hash") \(pending.hash.prefix(12)))"
            }
            if !schemaChanges {
                // Configuration or reference data alone: the diff row holds their plans and their counts.
                var summary = Plan.Summary()
                for part in [configChanges ? configPlan?.summary : nil, contentChanges ? contentPlan?.summary : nil] {
                    guard let part else { continue }
                    summary.creates += part.creates
                    summary.updates += part.updates
                    summary.deletes += part.deletes
                    summary.destructive += part.destructive
                }
                let partKeys = [
                    configChanges ? configPlan?.contentKey : nil, contentChanges ? contentPlan?.contentKey : nil,
                ].compactMap { $0 }
                let stored = try store.recordDiff(
                    revisionID: promotion.revisionID, target: target, directusHash: "",
                    targetSnapshotHash: targetHash, diff: .object(JSONObject()), summary: summary,
                    contentKey: partKeys.joined(separator: "+"), configPlan: configChanges ? configJSON : nil,
                    contentPlan: contentJSON, at: at)
                changes.diffID = .some(stored.id)
            }
            if configChanges, let configPlan, let configJSON {
                keys.append(configPlan.contentKey)
                destructive = destructive || configPlan.isDestructive
                detailsJSON["configuration"] = configJSON
                summaries.append("configuration: " + ConfigPlanRenderer.summary(json: configJSON))
            }
            if contentChanges, let contentPlan, let contentJSON {
                keys.append(contentPlan.contentKey)
                destructive = destructive || contentPlan.isDestructive
                detailsJSON["content"] = contentJSON
                summaries.append("reference data: " + ContentPlanRenderer.summary(json: contentJSON))
            }
            details = JSONWriter().string(.object(detailsJSON))
            planResult = .changes(
                contentKey: keys.joined(separator: "+"), destructive: destructive, predictedFailure: predicted)
            let summary = summaries.joined(separator: "; ")
            message =
                switch step {
                case .plan: "planned on \(target): \(summary)\(hashNote)\(notes)"
                case .prepare: "fresh diff before applying on \(target): \(summary)\(hashNote)\(notes)"
                case .verify, .apply: "\(target) still differs after the apply: \(summary)\(notes)"
                }
        } else {
            planResult = .inSync
            message =
                switch step {
                case .plan: "\(target) already has revision \(promotion.revisionID)\(notes)"
                case .prepare: "\(target) already has revision \(promotion.revisionID); nothing to apply\(notes)"
                case .verify, .apply: "verified: \(target) has revision \(promotion.revisionID)\(notes)"
                }
        }
        let event: PromotionStateMachine.Event =
            switch step {
            case .plan: .planned(planResult)
            case .prepare: .preparedForApply(planResult)
            case .verify, .apply: .verified(planResult)
            }
        var result = Step(
            event: event, message: message, changes: changes, details: details, observedTargetHash: targetHash)
        result.observedConfigHash = configHash
        result.observedContentHash = contentHash
        let pending =
            step == .prepare && (schemaChanges || configChanges || contentChanges)
            ? PendingRelease(
                schema: observation.applicable, configuration: configChanges ? configObservation : nil,
                content: contentChanges ? contentObservation : nil) : nil
        return (result, pending)
    }

    /// A target that could not be observed, as `FailureClass` says: a person must act (blocked), the plan cannot
    /// be made (failed), or the problem should pass and the promotion waits (noted once).
    func failedObservation(
        _ promotion: PromotionRecord, step: FailureClass.Step, error: DirectusClientError, _ report: inout TickReport
    ) throws -> (step: Step, pending: PendingRelease?)? {
        let failure = FailureClass.of(error.cause, during: step, now: now())
        if failure == .cancelled { throw EngineError.stopped }
        noteCondition(promotion.target, failure: error)
        switch failure {
        case .stalled:
            return (Step(event: .blockedBy(reason: "\(promotion.target): \(error)"), message: "blocked"), nil)
        case .refused(let retryable):
            return (
                Step(
                    event: .planningFailed(reason: "\(promotion.target): \(error)", retryable: retryable),
                    message: "cannot plan on \(promotion.target)"), nil
            )
        case .transient, .waitingUntil, .staleTarget, .outcomeUnknown, .cancelled:
            let problem = "waiting for \(promotion.target): \(error)"
            report.problems.append("promotion \(promotion.id): \(problem)")
            if case .waitingUntil(let date) = failure { report.wake(at: date) }
            if step == .plan || step == .verify {
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
    }

    /// Row counts of the collections a plan deletes, where the target will say.
    func rowCounts(of plan: Plan, on target: String) async -> [String: Int] {
        guard let client = try? client(target) else { return [:] }
        var counts: [String: Int] = [:]
        for change in plan.changes where change.entity == .collection && change.action == .delete {
            if let count = await client.rowCount(collection: change.collection) { counts[change.collection] = count }
        }
        return counts
    }

    // MARK: Applying

    /// Sends the apply once, shielded from the tick's cancellation (a shutdown lets a sent apply finish rather
    /// than abandoning it mid-request), and turns the answer into the machine's outcome (`FailureClass`).
    /// Applies a release: the schema first, then the configuration (CONFIG-SPEC section 6); a schema the target
    /// refuses stops it before any configuration is written.
    func apply(_ release: PendingRelease, _ promotion: PromotionRecord) async -> Step {
        var messages: [String] = []
        if let diff = release.schema {
            let step = await applySchema(diff, promotion)
            guard case .applyFinished(.accepted) = step.event, release.configuration != nil || release.content != nil
            else { return step }
            messages.append(step.message)
        }
        if let prepared = release.configuration {
            let step = await applyConfiguration(prepared, promotion, afterSchema: release.schema != nil)
            guard case .applyFinished(.accepted) = step.event, release.content != nil else {
                return Step(event: step.event, message: (messages + [step.message]).joined(separator: "; "))
            }
            messages.append(step.message)
        }
        if let prepared = release.content {
            let step = await applyContent(
                prepared, promotion, afterEarlierPhases: release.schema != nil || release.configuration != nil)
            return Step(event: step.event, message: (messages + [step.message]).joined(separator: "; "))
        }
        if messages.isEmpty {
            return Step(event: .applyFinished(.accepted), message: "nothing to apply on \(promotion.target)")
        }
        return Step(event: .applyFinished(.accepted), message: messages.joined(separator: "; "))
    }

    func applySchema(_ diff: PendingDiff, _ promotion: PromotionRecord) async -> Step {
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
        switch FailureClass.of(error.cause, during: .apply, now: now()) {
        case .staleTarget:
            if case .staleHash(let message) = error {
                return Step(
                    event: .applyFinished(.stale(reason: message, at: now())),
                    message: "\(target) refused the diff's hash (\"\(message)\"): its schema changed after the diff, "
                        + "or it says so")
            }
            return Step(
                event: .applyFinished(.stale(reason: error.description, at: now())),
                message: "\(target) refused the diff as out of date (\(error))")
        case .outcomeUnknown, .cancelled:
            return Step(event: .applyFinished(.unknown), message: "the apply's answer was lost (\(error))")
        case .refused(retryable: false):
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(error)", retryable: false)),
                message: "\(target) refused the apply")
        case .refused(retryable: true), .transient, .waitingUntil, .stalled:
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
        return try storedSnapshot(revision.snapshotHash)
    }

    /// A stored snapshot, parsed once per tick.
    func storedSnapshot(_ hash: String) throws -> Snapshot {
        if let cached = snapshots[hash] { return cached }
        guard let snapshot = try store.snapshot(hash: hash) else { throw EngineError.missingSnapshot(hash) }
        snapshots[hash] = snapshot
        return snapshot
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
