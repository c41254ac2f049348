import DirectusClient
import DirectusContent
import DirectusSchema
import Foundation
import Logging
import PromotionCore
import PromotionStore

/// The reconciler: one `tick` polls the source, records new revisions, takes people's decisions, and carries
/// every promotion in flight as far as it can go, through the pure `PromotionStateMachine`.
///
/// Every step is persisted before the next one starts (the state, the machine's memory and an audit event, in one
/// transaction), and the apply is persisted as `applying` before it is sent, so a crash at any instant leaves a
/// promotion that the next tick resumes by observing the target: a promotion found in `applying` has an apply
/// whose outcome is unknown, and only a new diff decides what happened. An actor: one tick at a time.
public actor PromotionEngine {
    public let configuration: EngineConfiguration
    let clients: [String: DirectusClient]
    let store: Store
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: DaemonMetrics?
    /// Revision snapshots parsed during the tick in progress, by content hash; emptied after each tick, so that
    /// an idle daemon holds no schema in memory.
    var snapshots: [String: Snapshot] = [:]
    /// Per environment, the SHA-256 of the last snapshot body it sent and the content hash of that snapshot: an
    /// identical body is an unchanged schema, found without parsing it.
    var lastBodies: [String: (body: String, content: String)] = [:]
    /// Per environment, what its newest schema (by content hash) says about the promoted reference data
    /// (`contentScope(of:schemaHash:snapshot:)`).
    var contentScopes: [String: (schemaHash: String, scope: ContentNormalizer.Scope)] = [:]
    /// Whether this tick parsed a snapshot (its memory is handed back to the system at the end of the tick).
    var parsedSnapshot = false
    var hasRecovered = false
    /// Promotions found in `applying` when this engine started: their apply was in flight when the daemon stopped.
    var resumedApplying: Set<Int64> = []
    /// Each environment's condition as last logged (`ok`, or the kind of failure), so a change is logged once.
    var conditions: [String: String] = [:]
    /// When each target was last checked for drift (`drift.interval`).
    var lastDriftCheck: [String: Date] = [:]
    var shouldContinue: @Sendable () -> Bool = { !Task.isCancelled }

    /// The actor recorded for what the engine does on its own.
    public static let actor = "daemon"

    public init(
        configuration: EngineConfiguration, clients: [String: DirectusClient], store: Store,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "directus-promoter.engine"),
        metrics: DaemonMetrics? = nil
    ) {
        self.configuration = configuration
        self.clients = clients
        self.store = store
        self.now = now
        self.logger = logger
        self.metrics = metrics
    }

    /// What this engine remembers between ticks, for the engine that replaces it on a reload: the last bodies
    /// seen, each environment's logged condition, and that recovery after the start was done.
    public struct Carried: Sendable {
        var lastBodies: [String: (body: String, content: String)]
        var conditions: [String: String]
        var lastDriftCheck: [String: Date]
        var resumedApplying: Set<Int64>
        var hasRecovered: Bool
    }

    public var carried: Carried {
        Carried(
            lastBodies: lastBodies, conditions: conditions, lastDriftCheck: lastDriftCheck,
            resumedApplying: resumedApplying, hasRecovered: hasRecovered)
    }

    /// Takes over what the engine it replaces remembered (a reload is not a restart).
    public func takeOver(_ carried: Carried) {
        lastBodies = carried.lastBodies
        conditions = carried.conditions
        lastDriftCheck = carried.lastDriftCheck
        resumedApplying = carried.resumedApplying
        hasRecovered = carried.hasRecovered
    }

    /// What a poll of an environment found: the content hash of its snapshot (recorded in history), and the
    /// document when its body was new (an unchanged body is not read again).
    struct Observed {
        var hash: String
        var document: SnapshotDocument?

        /// The snapshot's tree: from the document, or from history.
        func snapshot(store: Store) throws -> Snapshot? {
            if let document { return try document.snapshot() }
            return try store.snapshot(hash: hash)
        }
    }

    /// Polls an environment's schema, timing it for the metrics. Throws only the client's errors.
    func pollSnapshot(_ environment: String, scope: SnapshotScope = .all) async throws -> SnapshotPoll {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let poll = try await client(environment).snapshot(
                unlessBodyHash: lastBodies[environment]?.body, scope: scope)
            metrics?.poll(environment: environment, duration: clock.now - start, error: nil)
            metrics?.snapshotSize(environment: environment, bytes: poll.bytes)
            return poll
        } catch let error as DirectusClientError {
            if case .cancelled = error { throw EngineError.stopped }
            metrics?.poll(environment: environment, duration: clock.now - start, error: error)
            throw error
        }
    }

    /// Records what a poll found; throws only the store's errors.
    func record(_ poll: SnapshotPoll, of environment: String, at: Date) throws -> Observed {
        switch poll {
        case .document(let document, let bodyHash, _):
            parsedSnapshot = true
            try store.recordEnvironment(
                name: environment, url: configuration.settings(environment).url, directusVersion: document.directus,
                vendor: document.vendor, at: at)
            let hash =
                try store.recordObservation(environment: environment, document: document, at: at).snapshotHash
                ?? document.contentHash
            lastBodies[environment] = (bodyHash, hash)
            return Observed(hash: hash, document: document)
        case .unchanged(let bodyHash, _):
            guard let known = lastBodies[environment], known.body == bodyHash else {
                throw EngineError.missingSnapshot(bodyHash)
            }
            _ = try store.recordObservation(environment: environment, storedSnapshot: known.content, at: at)
            return Observed(hash: known.content, document: nil)
        }
    }

    /// What one tick did and found.
    public struct TickReport: Sendable, Equatable {
        /// The source's snapshot hash, or nil when it could not be polled.
        public var sourceHash: String?
        public var sourceError: String?
        /// The revision recorded by this tick, if the source changed.
        public var newRevision: Int64?
        /// Transitions made, as `promotion id: from → to`.
        public var transitions: [String] = []
        /// Problems that keep promotions waiting (a target down, a transient error).
        public var problems: [String] = []
        /// Environments whose snapshot body was byte for byte the last one: recorded as unchanged without being
        /// read again.
        public var unchangedBodies: Set<String> = []
        /// When the engine next needs to act on its own (a soak time ending, a window opening, a backoff over),
        /// if sooner than anything else: the daemon wakes then rather than at the next poll.
        public var nextWake: Date?

        /// Asks to wake at `date` (the earliest asked for wins).
        mutating func wake(at date: Date) {
            nextWake = nextWake.map { min($0, date) } ?? date
        }
    }

    /// One reconciliation pass. Never throws: every problem is recorded (audit log, promotion) and reported.
    /// - Parameter shouldContinue: checked between steps; false stops the tick after the step in progress (a
    ///   shutdown). An apply already sent is always waited for.
    public func tick(shouldContinue: @escaping @Sendable () -> Bool = { !Task.isCancelled }) async -> TickReport {
        self.shouldContinue = shouldContinue
        var report = TickReport()
        // Each environment gets its own time for this tick: one that stalls uses up its own, not the others'.
        for (name, client) in clients { await client.startBudget(configuration.settings(name).tickBudget) }
        do {
            if !hasRecovered {
                try recover()
                hasRecovered = true
            }
            try await pollSource(&report)
            try takeDecisions(&report)
            try await checkDrift(&report)
            try await drivePromotions(&report)
        } catch EngineError.stopped {
            // A shutdown or a reload: the step in progress was finished and persisted; nothing to report.
        } catch {
            let message = "the tick stopped: \(error)"
            logger.error("\(message)")
            report.problems.append(message)
        }
        if parsedSnapshot || !snapshots.isEmpty {
            snapshots = [:]
            parsedSnapshot = false
            MemoryRelease.returnFreedMemory()
        }
        return report
    }

    // MARK: Recovery

    /// Says, once per start, which promotions were found mid-flight; the ordinary drive then resolves each by
    /// observing its target (an `applying` one by verifying, never by sending again).
    func recover() throws {
        let pipeline = configuration.pipeline
        for name in [pipeline.source] + pipeline.targets {
            try store.registerEnvironment(name: name, url: configuration.settings(name).url)
        }
        for promotion in try store.promotions(inStates: PromotionState.working) {
            if promotion.state == .applying { resumedApplying.insert(promotion.id) }
            let message =
                promotion.state == .applying
                ? "found mid-apply after a restart: the outcome is unknown, verifying on \(promotion.target)"
                : "found \(promotion.state.words) after a restart: resuming"
            logger.notice("\(message)", metadata: ["promotion": "\(promotion.id)"])
            try store.appendEvent(
                kind: "promotion.resumed", actor: Self.actor, environment: promotion.target, promotionID: promotion.id,
                message: message, at: now())
        }
    }

    // MARK: Source

    /// Polls the source; a new schema becomes a revision, supersedes what older revisions have not yet sent, and
    /// gets a promotion per target.
    func pollSource(_ report: inout TickReport) async throws {
        let source = configuration.pipeline.source
        let poll: SnapshotPoll
        do {
            poll = try await pollSnapshot(source, scope: configuration.sourceScope)
        } catch let error as DirectusClientError {
            report.sourceError = "\(error)"
            _ = try store.recordObservation(environment: source, snapshot: nil, error: "\(error)", at: now())
            noteCondition(source, failure: error)
            return
        }
        // The configuration is read with the schema: a revision is the pair, and one read that fails is no revision.
        let configHash: String?
        do {
            configHash = try await pollSourceConfiguration()
        } catch let error as DirectusClientError {
            if case .cancelled = error { throw EngineError.stopped }
            report.sourceError = "\(source)'s configuration: \(error)"
            _ = try store.recordObservation(
                environment: source, snapshot: nil, error: "configuration: \(error)", at: now())
            noteCondition(source, failure: error)
            return
        }
        let at = now()
        let observed = try record(poll, of: source, at: at)
        if case .unchanged = poll { report.unchangedBodies.insert(source) }
        let hash = observed.hash
        // The reference data is read under the schema just seen; a read that fails is no revision either.
        let contentHash: String?
        do {
            contentHash = try await pollSourceContent(schemaHash: hash)
        } catch let error as DirectusClientError {
            if case .cancelled = error { throw EngineError.stopped }
            report.sourceError = "\(source)'s reference data: \(error)"
            _ = try store.recordObservation(
                environment: source, snapshot: nil, error: "reference data: \(error)", at: now())
            noteCondition(source, failure: error)
            return
        }
        noteCondition(source, failure: nil)
        report.sourceHash = hash
        let latest = try store.latestRevision(environment: source)
        var revision = latest
        if latest?.snapshotHash != hash || latest?.configHash != configHash || latest?.contentHash != contentHash {
            let recorded = try store.recordRevision(
                environment: source, snapshotHash: hash, configHash: configHash, contentHash: contentHash, at: at)
            revision = recorded
            report.newRevision = recorded.id
            var parts: [String] = []
            if latest?.snapshotHash != hash { parts.append("schema") }
            if let latest, latest.configHash != configHash { parts.append("configuration") }
            if let latest, latest.contentHash != contentHash { parts.append("reference data") }
            let what = parts.count < 3 ? parts.joined(separator: " and ") : "schema, configuration and reference data"
            var message = "\(source) has a new \(what): revision \(recorded.id) (\(String(hash.prefix(12)))"
            if let configHash { message += ", configuration \(String(configHash.prefix(12)))" }
            if let contentHash { message += ", reference data \(String(contentHash.prefix(12)))" }
            message += ")"
            logger.notice("\(message)")
            try store.appendEvent(
                kind: "revision.detected", actor: Self.actor, environment: source, message: message, at: at)
            try supersede(olderThan: recorded.id, &report)
        }
        guard let revision else { return }
        for target in configuration.pipeline.targets
        where try store.promotion(revisionID: revision.id, target: target) == nil {
            _ = try store.createPromotion(
                revisionID: revision.id, target: target, state: .queued,
                diffID: nil, actor: Self.actor,
                message: "revision \(revision.id) queued for \(target)", at: at)
        }
    }

    /// A newer revision replaces every older promotion that has not been sent to its target.
    func supersede(olderThan revisionID: Int64, _ report: inout TickReport) throws {
        for promotion in try store.promotions(inStates: PromotionState.open) where promotion.revisionID < revisionID {
            var machine = self.machine(for: promotion)
            guard (try? machine.handle(.newerRevisionDetected)) != nil else { continue }
            try persist(
                promotion, machine, message: "superseded by revision \(revisionID)", report: &report)
        }
    }

    // MARK: Decisions

    /// Applies the decisions people recorded (approve, reject, retry, cancel), each with its transition and its
    /// consumption in one transaction; a decision the promotion cannot take is consumed with the reason.
    func takeDecisions(_ report: inout TickReport) throws {
        for decision in try store.pendingDecisions() {
            guard let promotion = try store.promotion(id: decision.promotionID) else { continue }
            var machine = self.machine(for: promotion)
            let event = decision.kind.event(
                actor: decision.actor, allowDestructive: decision.allowDestructive,
                despiteWarnings: decision.despiteWarnings)
            let from = promotion.state
            do {
                _ = try machine.handle(event)
            } catch {
                try store.consumeDecision(
                    decision, transition: nil,
                    message: "\(decision.actor)'s \(decision.kind.rawValue) was not applied: \(error)", at: now())
                continue
            }
            var message = "\(decision.kind.auditVerb) by \(decision.actor)"
            if decision.kind == .approve, machine.state == .awaitingApproval {
                if machine.approvers.count >= machine.policy.requiredApprovals {
                    message += " (the plan is destructive: it still needs an approval given with --allow-destructive)"
                } else {
                    message += " (\(machine.approvers.count) of \(machine.policy.requiredApprovals) approvals)"
                }
            }
            if let comment = decision.comment, !comment.isEmpty { message += ": \(comment)" }
            try store.consumeDecision(
                decision,
                transition: (
                    from, machine.state,
                    Store.TransitionChanges(lastError: .some(machine.lastError), machine: .some(machine.memory.stored))
                ), message: message, at: now())
            report.transitions.append("\(promotion.id): \(from.rawValue) → \(machine.state.rawValue)")
        }
    }

    // MARK: Helpers

    /// Logs an environment's condition when it changes (once, not every tick): a warning that says what to do for
    /// credentials and rights, the error for anything else, and a notice when it answers again.
    func noteCondition(_ environment: String, failure error: DirectusClientError?) {
        let condition = error.map(DaemonMetrics.kind(of:)) ?? "ok"
        let previous = conditions[environment]
        guard previous != condition else { return }
        conditions[environment] = condition
        let metadata: Logger.Metadata = ["environment": "\(environment)", "condition": "\(condition)"]
        switch error {
        case nil:
            if previous != nil { logger.notice("\(environment) answers again", metadata: metadata) }
        case .unauthorized(let expired, let message)?:
            let fix =
                expired
                ? "the session could not be renewed; check the email and password (password_file, password_env)"
                : "check its token (token_file, token_env, or the email and password) and that the user is active"
            logger.warning(
                "\(environment) does not accept the daemon's credentials (\(message)): \(fix)", metadata: metadata)
        case .forbidden(let message)?:
            logger.warning(
                "\(environment) accepts the credentials but refuses the schema endpoints (\(message)): the user needs the Administrator role (or an admin's static token)",
                metadata: metadata)
        case .redirected?:
            logger.warning("\(environment) \(error?.description ?? "")", metadata: metadata)
        case let other?:
            logger.warning("cannot reach \(environment): \(other)", metadata: metadata)
        }
    }

    func client(_ environment: String) throws(EngineError) -> DirectusClient {
        guard let client = clients[environment] else { throw EngineError.noClient(environment) }
        return client
    }

    /// The machine of a stored promotion, rebuilt from its state and memory with the target's current policy.
    func machine(for promotion: PromotionRecord) -> PromotionStateMachine {
        configuration.machine(for: promotion)
    }

    /// Records what an environment reported: its version and vendor, and the snapshot (stored once, as a delta
    /// against its previous one). Returns the snapshot's content hash.
    func record(_ snapshot: Snapshot, of environment: String, at: Date) throws -> String {
        parsedSnapshot = true
        try store.recordEnvironment(
            name: environment, url: configuration.settings(environment).url, directusVersion: snapshot.directus,
            vendor: snapshot.vendor, at: at)
        return try store.recordObservation(environment: environment, snapshot: snapshot, at: at).snapshotHash
            ?? snapshot.contentHash
    }

    /// Stores a machine's new state (a compare-and-set on the old one) with its memory and an audit event.
    @discardableResult
    func persist(
        _ promotion: PromotionRecord, _ machine: PromotionStateMachine, message: String,
        changes: Store.TransitionChanges = Store.TransitionChanges(), details: String? = nil,
        report: inout TickReport
    ) throws -> PromotionRecord {
        var changes = changes
        changes.machine = .some(machine.memory.stored)
        // The machine's reason wins: a step that observed the target cleanly may still end in a failure.
        if changes.lastError == nil || machine.lastError != nil { changes.lastError = .some(machine.lastError) }
        let updated = try store.applyTransition(
            promotionID: promotion.id, from: promotion.state, to: machine.state, changes: changes,
            actor: Self.actor, message: message, details: details, at: now())
        report.transitions.append("\(promotion.id): \(promotion.state.rawValue) → \(updated.state.rawValue)")
        logger.info(
            "\(message)",
            metadata: [
                "promotion": "\(promotion.id)", "target": "\(promotion.target)", "from": "\(promotion.state.rawValue)",
                "to": "\(updated.state.rawValue)",
            ])
        return updated
    }
}

/// A problem of the engine itself (not of Directus or the store).
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case noClient(String)
    case missingSnapshot(String)
    /// The tick was asked to stop (a shutdown or a reload) while it waited on an instance.
    case stopped

    public var description: String {
        switch self {
        case .noClient(let name): "no connection is configured for environment \(name)"
        case .missingSnapshot(let hash): "the revision snapshot \(hash) is missing from the state database"
        case .stopped: "the tick was stopped"
        }
    }
}
