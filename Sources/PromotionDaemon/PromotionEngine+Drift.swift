import DirectusClient
import DirectusConfig
import DirectusContent
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension PromotionEngine {
    /// Compares every target's schema with what it is expected to have (the schema last verified there, the first
    /// one seen, an upgrade of it, or one a person accepted). Drift is recorded once per distinct drifted schema;
    /// an upgrade of Directus is recorded as such; a plan waiting for approval on a drifted target is made again
    /// against what the target really has. Targets with an apply in flight are left alone (their change is ours).
    func checkDrift(_ report: inout TickReport) async throws {
        let busy = Set(try store.promotions(inStates: PromotionState.changingTarget).map(\.target))
        for target in configuration.pipeline.targets where !busy.contains(target) {
            if !shouldContinue() { return }
            // Targets are checked on their own, slower schedule (`drift.interval`): a snapshot is a heavy request.
            if let interval = configuration.driftInterval, let last = lastDriftCheck[target] {
                let due = last.addingTimeInterval(interval.seconds)
                if now() < due {
                    report.wake(at: due)
                    continue
                }
            }
            lastDriftCheck[target] = now()
            try await checkConfigurationDrift(target, &report)
            let poll: SnapshotPoll
            do {
                poll = try await pollSnapshot(target)
            } catch let error as DirectusClientError {
                _ = try store.recordObservation(environment: target, snapshot: nil, error: "\(error)", at: now())
                report.problems.append("\(target) cannot be observed: \(error)")
                noteCondition(target, failure: error)
                continue
            }
            noteCondition(target, failure: nil)
            let at = now()
            let observed = try record(poll, of: target, at: at)
            if case .unchanged = poll { report.unchangedBodies.insert(target) }
            let hash = observed.hash
            if configuration.promotesContent {
                try await checkContentDrift(
                    target, schemaHash: hash, snapshot: { try observed.snapshot(store: store) }, &report)
            }
            guard let expectation = try store.expectation(environment: target) else {
                try store.setExpectation(
                    environment: target, snapshotHash: hash, reason: .firstSeen, actor: Self.actor,
                    message:
                        "first schema seen on \(target) (\(hash.prefix(12))): the expectation until a promotion lands",
                    at: at)
                continue
            }
            if expectation.snapshotHash == hash {
                try store.resolveDrift(environment: target, message: "\(target) is back to its expected schema", at: at)
                continue
            }
            guard let expected = try store.snapshot(hash: expectation.snapshotHash),
                let snapshot = try observed.snapshot(store: store)
            else { continue }
            switch DriftAssessment.assess(
                expected: expected, observed: snapshot, ignoring: configuration.ignoreRules(for: target))
            {
            case .inSync:
                // Only ignored entities, ordering or formatting differ.
                try store.setExpectation(
                    environment: target, snapshotHash: hash, reason: .equivalent, actor: Self.actor, message: nil,
                    at: at)
            case .upgraded(let from, let to):
                try store.setExpectation(
                    environment: target, snapshotHash: hash, reason: .upgraded, actor: Self.actor,
                    message: "\(target) was upgraded from Directus \(from ?? "?") to \(to ?? "?"): not drift", at: at)
            case .drifted(let drift):
                let details = JSONWriter().string(PlanRenderer.json(drift.plan))
                guard
                    try store.recordDrift(
                        environment: target, observedHash: hash, expectedHash: expectation.snapshotHash,
                        summary: drift.summary, details: details, at: at)
                else { continue }
                try drifted(target, "\(target) drifted: \(drift.summary)", &report)
            }
        }
    }

    /// Compares a target's configuration with what it is expected to have (the configuration verified there, the
    /// first one seen, or one a person accepted): a permission or flow edited directly on it is drift, recorded once
    /// per distinct configuration; a plan waiting for approval there is made again.
    func checkConfigurationDrift(_ target: String, _ report: inout TickReport) async throws {
        guard configuration.promotesConfiguration else { return }
        let kinds = configuration.configurationKinds
        let observed: ConfigurationSnapshot
        do {
            let export = try await client(target).configuration(kinds)
            observed = configuration.configIgnore(for: target).apply(
                to: ConfigNormalizer.snapshot(of: export).restricted(to: Set(kinds)))
        } catch let error as DirectusClientError {
            if case .cancelled = error { throw EngineError.stopped }
            report.problems.append("\(target)'s configuration cannot be read: \(error)")
            return
        }
        let at = now()
        let hash = try store.storeConfiguration(observed, at: at)
        guard let expectation = try store.configExpectation(environment: target) else {
            try store.setConfigExpectation(
                environment: target, configHash: hash, reason: .firstSeen, actor: Self.actor,
                message: "first configuration seen on \(target) (\(hash.prefix(12))): the expectation until a "
                    + "promotion lands",
                at: at)
            return
        }
        if expectation.configHash == hash {
            try store.resolveConfigDrift(
                environment: target, message: "\(target)'s configuration is back to the expected one", at: at)
            return
        }
        guard let expected = try store.configuration(hash: expectation.configHash) else { return }
        let diff = ConfigDiff.diff(current: expected, desired: observed)
        guard !diff.isEmpty else {
            try store.setConfigExpectation(
                environment: target, configHash: hash, reason: expectation.reason, actor: Self.actor, message: nil,
                at: at)
            return
        }
        let summary = Self.describeDrift(diff)
        let details = JSONWriter().string(
            .array(
                (diff.changes + diff.held).map { change in
                    .object(
                        JSONObject([
                            ("kind", .string(change.kind.rawValue)), ("key", .string(change.key)),
                            ("action", .string(change.action.rawValue)),
                            ("fields", .array(change.fields.map(JSONValue.string))),
                        ]))
                }))
        guard
            try store.recordConfigDrift(
                environment: target, observedHash: hash, expectedHash: expectation.configHash, summary: summary,
                details: details, at: at)
        else { return }
        try drifted(target, "\(target)'s configuration drifted: \(summary)", &report)
    }

    /// Compares a target's reference data with what it is expected to have (the rows verified there, the first
    /// seen, or rows a person accepted): a row edited directly on it is drift, recorded once per distinct content.
    /// Only once every promoted collection exists there (before, the schema's drift or a promotion says why).
    /// `schemaHash` is the target's schema as just polled; `snapshot` parses it, when its scope is not known yet.
    func checkContentDrift(
        _ target: String, schemaHash: String, snapshot: () throws -> Snapshot?, _ report: inout TickReport
    ) async throws {
        let scope: ContentNormalizer.Scope
        do {
            scope = try contentScope(of: target, schemaHash: schemaHash, snapshot: snapshot)
        } catch is ContentError {
            // A schema that cannot carry the rules (a collection not there yet) has nothing to compare.
            return
        } catch let error as EngineError {
            guard case .missingSnapshot = error else { throw error }
            return
        }
        let observed: ContentSet
        do {
            let rows = try await ContentObserver.rows(on: try client(target), scope: scope)
            observed = try ContentNormalizer.normalize(rows, scope: scope)
        } catch let error as DirectusClientError {
            if case .cancelled = error { throw EngineError.stopped }
            report.problems.append("\(target)'s reference data cannot be read: \(error)")
            return
        } catch let error as ContentError {
            report.problems.append("\(target)'s reference data cannot be read: \(error)")
            return
        }
        let at = now()
        let hash = try store.storeContent(observed, at: at)
        guard let expected = try store.contentExpectation(environment: target) else {
            try store.setContentExpectation(
                environment: target, contentHash: hash, reason: .firstSeen, actor: Self.actor,
                message: "first reference data seen on \(target) (\(hash.prefix(12))): the expectation until a "
                    + "promotion lands",
                at: at)
            return
        }
        if expected == hash {
            try store.resolveContentDrift(
                environment: target, message: "\(target)'s reference data is back to the expected rows", at: at)
            return
        }
        guard let expectedContent = try store.content(hash: expected) else { return }
        let drift = ContentDrift(expected: expectedContent, observed: observed)
        guard !drift.isEmpty else { return }
        guard
            try store.recordContentDrift(
                environment: target, observedHash: hash, expectedHash: expected, summary: drift.summary,
                details: JSONWriter().string(drift.json), at: at)
        else { return }
        try drifted(target, "\(target)'s reference data drifted: \(drift.summary)", &report)
    }

    /// A drift newly recorded: logged and reported, and every plan waiting for approval on the target made again
    /// against what the target really has.
    func drifted(_ target: String, _ words: String, _ report: inout TickReport) throws {
        logger.warning("\(words)", metadata: ["environment": "\(target)"])
        report.problems.append(words)
        for promotion in try store.promotions(inStates: [.awaitingApproval]) where promotion.target == target {
            var machine = self.machine(for: promotion)
            guard (try? machine.handle(.targetChanged)) != nil else { continue }
            try persist(
                promotion, machine,
                message: "\(target) changed behind our back: planning again against what it has now",
                report: &report)
        }
    }

    /// `role:Editor appeared; permission:… changed (fields); flow:… removed`, the first few and a count.
    static func describeDrift(_ diff: ConfigDiff) -> String {
        let all = diff.changes + diff.held
        let words = all.prefix(5).map { change -> String in
            switch change.action {
            case .create: "\(change.key) appeared"
            case .delete: "\(change.key) was removed"
            case .update: "\(change.key) changed (\(change.fields.joined(separator: ", ")))"
            }
        }
        let more = all.count > 5 ? " and \(all.count - 5) more" : ""
        return "\(all.count) configuration change\(all.count == 1 ? "" : "s"): \(words.joined(separator: "; "))\(more)"
    }
}
