import DirectusClient
import DirectusConfig
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension PromotionEngine {
    /// The source's configuration, stored in history: its hash, or nil when the pipeline promotes the schema alone.
    func pollSourceConfiguration() async throws -> String? {
        guard configuration.promotesConfiguration else { return nil }
        let source = configuration.pipeline.source
        let snapshot = try await ConfigurationObserver.source(
            on: try client(source), kinds: configuration.configurationKinds,
            ignore: ConfigIgnore(configuration.settings(source).ignore.patterns))
        return try store.storeConfiguration(snapshot, at: now())
    }

    /// The persisted identity mapping of a source and target, per kind: source id → target id.
    func identityMapping(source: String, target: String) throws -> [ConfigKind: [String: String]] {
        var mapping: [ConfigKind: [String: String]] = [:]
        for entry in try store.identities(source: source, target: target) {
            mapping[entry.kind, default: [:]][entry.sourceID] = entry.targetID
        }
        return mapping
    }

    /// The target's configuration planned against the revision's; nil when the revision holds no configuration.
    func observeConfiguration(_ promotion: PromotionRecord) async throws -> ConfigurationObserver.Observation? {
        guard configuration.promotesConfiguration, let revision = try store.revision(id: promotion.revisionID),
            let hash = revision.configHash
        else { return nil }
        guard let desired = try store.configuration(hash: hash) else { throw EngineError.missingSnapshot(hash) }
        let target = promotion.target
        let observation = try await ConfigurationObserver.observe(
            desired: desired, on: try client(target), kinds: configuration.configurationKinds,
            ignore: configuration.configIgnore(for: target),
            mapping: try identityMapping(source: revision.environment, target: target),
            options: ConfigPlanner.Options(keepDeletions: configuration.settings(target).destructive == .never))
        for kind in Set(observation.vanished.map(\.kind)) {
            try store.forgetIdentities(
                source: revision.environment, target: target, kind: kind,
                targetIDs: observation.vanished.filter { $0.kind == kind }.map(\.targetID))
        }
        return observation
    }

    /// The configuration phase of an apply: the target is read again (a schema apply may have cascaded into its
    /// permissions, and nothing seals a configuration against changes made meanwhile), the plan made again and
    /// sent only if it does no more than the approved one; a failed step is compensated (`ConfigurationApplier`).
    func applyConfiguration(
        _ prepared: ConfigurationObserver.Observation, _ promotion: PromotionRecord, afterSchema: Bool
    ) async -> Step {
        let target = promotion.target
        let fresh: ConfigurationObserver.Observation
        do {
            guard let observed = try await observeConfiguration(promotion) else {
                return Step(event: .applyFinished(.accepted), message: "no configuration to apply")
            }
            fresh = observed
        } catch {
            if afterSchema {
                return Step(
                    event: .applyFinished(.unknown),
                    message: "the schema was applied; \(target)'s configuration could not be read again before "
                        + "writing it (\(error)): verifying")
            }
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(error)", retryable: true)),
                message: "the configuration of \(target) could not be read before writing it")
        }
        var plan = prepared.plan
        if fresh.plan.targetHash != prepared.plan.targetHash {
            // Only a plan that does no more than the approved one goes ahead (a cascade of the schema apply removes
            // work, never adds it); anything else is a target that changed: plan again.
            let approved = Set(
                prepared.plan.changes.map { "\($0.action.rawValue) \($0.key) \(String(describing: $0.after))" })
            let remaining = fresh.plan.changes.map { "\($0.action.rawValue) \($0.key) \(String(describing: $0.after))" }
            guard fresh.plan.held.isEmpty, remaining.allSatisfy(approved.contains) else {
                return Step(
                    event: .applyFinished(
                        .stale(reason: "\(target)'s configuration changed after it was planned", at: now())),
                    message: "\(target)'s configuration changed between the plan and the apply: planning again")
            }
            plan = fresh.plan
        }
        let client: DirectusClient
        do {
            client = try self.client(target)
        } catch {
            return Step(event: .applyFinished(.refused(reason: "\(error)", retryable: false)), message: "not sent")
        }
        let result = await Task { await ConfigurationApplier.apply(plan, before: fresh.before, on: client) }.value
        metrics?.configurationWrites(
            environment: target, written: result.done.count, undone: result.undone.count, failed: result.failure != nil)
        if result.failure != nil {
            logger.error("\(result.summary)", metadata: ["promotion": "\(promotion.id)", "target": "\(target)"])
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(result.summary)", retryable: true)),
                message: "the configuration phase failed on \(target)")
        }
        // What the apply created is the source's record from now on, whatever it is renamed to later.
        if let revision = try? store.revision(id: promotion.revisionID), let hash = revision.configHash,
            let desired = try? store.configuration(hash: hash)
        {
            for (key, created) in result.created.sorted(by: { $0.key < $1.key }) {
                guard let sourceID = desired.entities[key]?.sourceID else { continue }
                do {
                    try store.recordIdentity(
                        source: revision.environment, target: target, kind: created.kind, sourceID: sourceID,
                        targetID: created.id, origin: .created, actor: Self.actor, message: nil, at: now())
                } catch {
                    // The record exists and matches by its UUID or natural key; only a later rename loses it.
                    logger.error(
                        "\(target): the mapping of \(key) to \(created.id) could not be recorded: \(error)",
                        metadata: ["promotion": "\(promotion.id)"])
                }
            }
        }
        let written = result.done.count
        return Step(
            event: .applyFinished(.accepted),
            message: "\(target) took the configuration (\(written) write\(written == 1 ? "" : "s")"
                + (written > 0 ? ": \(result.done.joined(separator: ", ")))" : ")"))
    }
}
