import DirectusClient
import DirectusContent
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

extension PromotionEngine {
    /// The source's reference data, read under its schema (`schemaHash`, stored) and stored in history: its hash,
    /// or nil when the pipeline promotes none.
    func pollSourceContent(schemaHash: String) async throws -> String? {
        guard configuration.promotesContent else { return nil }
        let source = configuration.pipeline.source
        let scope: ContentNormalizer.Scope
        do {
            scope = try contentScope(of: source, schemaHash: schemaHash) { try self.storedSnapshot(schemaHash) }
        } catch let error as ContentError {
            throw ContentObserver.refusal(error)
        }
        let content = try await ContentObserver.source(on: try client(source), scope: scope)
        return try store.storeContent(content, at: now())
    }

    /// What an environment's schema (`schemaHash`) says about the promoted reference data, made from `snapshot`
    /// only when that schema changed: kept across ticks, the newest per environment (it is small), so that an
    /// unchanged schema is not parsed again at every poll or drift check just to read the rows.
    func contentScope(
        of environment: String, schemaHash: String, snapshot: () throws -> Snapshot?
    ) throws -> ContentNormalizer.Scope {
        if let cached = contentScopes[environment], cached.schemaHash == schemaHash { return cached.scope }
        guard let schema = try snapshot() else { throw EngineError.missingSnapshot(schemaHash) }
        let scope = try ContentNormalizer.Scope(
            rules: configuration.contentRules, snapshot: schema, limits: configuration.contentLimits)
        contentScopes[environment] = (schemaHash, scope)
        return scope
    }

    /// The target's reference data planned against the revision's; nil when the revision holds none.
    /// `targetSchema` is the target's schema as just observed (which collections exist there yet).
    func observeContent(
        _ promotion: PromotionRecord, targetSchema: Snapshot?
    ) async throws -> ContentObserver.Observation? {
        guard configuration.promotesContent, let revision = try store.revision(id: promotion.revisionID),
            let hash = revision.contentHash
        else { return nil }
        guard let desired = try store.content(hash: hash) else { throw EngineError.missingSnapshot(hash) }
        let schema = try revisionSnapshot(promotion.revisionID)
        return try await ContentObserver.observe(
            desired: desired, on: try client(promotion.target), rules: configuration.contentRules, revision: schema,
            targetSchema: targetSchema ?? schema, limits: configuration.contentLimits,
            keepDeletions: configuration.settings(promotion.target).destructive == .never)
    }

    /// What a plan would do, row by row: two plans that do the same have the same lines.
    static func rowChanges(_ plan: ContentPlan) -> [String] {
        plan.changes.map { change in
            "\(change.action.rawValue) \(change.collection)/\(change.key) "
                + (change.after.map { JSONWriter.canonical.string(.object($0)) } ?? "")
        }
    }

    /// The reference-data phase of an apply, after the schema and the configuration: the target is read again
    /// (the schema phase created its collections; nothing seals its rows against changes made meanwhile), the
    /// plan made again and sent only if it does no more than the approved one; a failed step is compensated
    /// (`ContentApplier`).
    func applyContent(
        _ prepared: ContentObserver.Observation, _ promotion: PromotionRecord, afterEarlierPhases: Bool
    ) async -> Step {
        let target = promotion.target
        let fresh: ContentObserver.Observation
        do {
            guard let observed = try await observeContent(promotion, targetSchema: nil) else {
                return Step(event: .applyFinished(.accepted), message: "no reference data to apply")
            }
            fresh = observed
        } catch {
            if afterEarlierPhases {
                return Step(
                    event: .applyFinished(.unknown),
                    message: "the schema was applied; \(target)'s reference data could not be read again before "
                        + "writing it (\(error)): verifying")
            }
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(error)", retryable: true)),
                message: "the reference data of \(target) could not be read before writing it")
        }
        if fresh.plan.targetHash != prepared.plan.targetHash {
            let approved = Set(Self.rowChanges(prepared.plan))
            guard Self.rowChanges(fresh.plan).allSatisfy(approved.contains) else {
                return Step(
                    event: .applyFinished(
                        .stale(reason: "\(target)'s reference data changed after it was planned", at: now())),
                    message: "\(target)'s reference data changed between the plan and the apply: planning again")
            }
        }
        let client: DirectusClient
        do {
            client = try self.client(target)
        } catch {
            return Step(event: .applyFinished(.refused(reason: "\(error)", retryable: false)), message: "not sent")
        }
        let plan = fresh.plan
        // 12.2+ checks each write with a dry run of its batch import first.
        let dryRunFirst = (try? await client.serverVersion())?.supportsBatchImport ?? false
        let result = await Task {
            await ContentApplier.apply(
                plan, before: fresh.before, scope: fresh.scope, on: client, dryRunFirst: dryRunFirst)
        }.value
        metrics?.contentWrites(
            environment: target, written: result.done.count, undone: result.undone.count, failed: result.failure != nil)
        if result.failure != nil {
            logger.error("\(result.summary)", metadata: ["promotion": "\(promotion.id)", "target": "\(target)"])
            return Step(
                event: .applyFinished(.refused(reason: "\(target): \(result.summary)", retryable: true)),
                message: "the reference data phase failed on \(target)")
        }
        return Step(
            event: .applyFinished(.accepted),
            message: "\(target) took the reference data"
                + (result.done.isEmpty ? "" : " (\(result.done.joined(separator: ", ")))"))
    }
}
