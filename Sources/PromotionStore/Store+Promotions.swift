import Foundation
import GRDB
import PromotionCore
import Redaction

extension Store {
    // MARK: Promotions

    /// Creates the promotion of a revision to a target, with its first audit event. Idempotent: an existing
    /// promotion for the same revision and target is returned unchanged.
    public func createPromotion(
        revisionID: Int64, target: String, state: PromotionState, diffID: Int64?, actor: String, message: String,
        at: Date
    ) throws(StoreError) -> PromotionRecord {
        try write { db in
            if let existing = try PromotionRecord.filter(
                PromotionRecord.Columns.revisionID == revisionID && PromotionRecord.Columns.target == target
            ).fetchOne(db) {
                return existing
            }
            try db.execute(
                sql: """
                    INSERT INTO promotion (revision_id, target, state, attempts, diff_id, created_at, updated_at)
                    VALUES (?, ?, ?, 0, ?, ?, ?)
                    """, arguments: [revisionID, target, state.rawValue, diffID, Self.seconds(at), Self.seconds(at)])
            let id = db.lastInsertedRowID
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "promotion.created", environment: target, promotionID: id,
                message: message,
                details: nil)
            return try Self.fetchPromotion(db, id: id)
        }
    }

    /// What a transition changes besides the state.
    public struct TransitionChanges: Sendable {
        public var attemptsDelta: Int = 0
        public var diffID: Int64??
        public var preApplySnapshotHash: String??
        public var preApplyConfigHash: String??
        public var preApplyContentHash: String??
        public var lastError: String??
        public var machine: String??

        public init(
            attemptsDelta: Int = 0, diffID: Int64?? = nil, preApplySnapshotHash: String?? = nil,
            lastError: String?? = nil, machine: String?? = nil, preApplyConfigHash: String?? = nil,
            preApplyContentHash: String?? = nil
        ) {
            self.preApplyConfigHash = preApplyConfigHash
            self.preApplyContentHash = preApplyContentHash
            self.attemptsDelta = attemptsDelta
            self.diffID = diffID
            self.preApplySnapshotHash = preApplySnapshotHash
            self.lastError = lastError
            self.machine = machine
        }
    }

    /// Moves a promotion from `expected` to `state` and records the event, in one transaction. Fails with
    /// `stateChanged` when the promotion is no longer in `expected` (another process moved it).
    @discardableResult
    public func applyTransition(
        promotionID: Int64, from expected: PromotionState, to state: PromotionState,
        changes: TransitionChanges = TransitionChanges(),
        actor: String, message: String, details: String? = nil, at: Date
    ) throws(StoreError) -> PromotionRecord {
        try write { db in
            let current = try Self.fetchPromotion(db, id: promotionID)
            guard current.state == expected else {
                throw StoreError.stateChanged(promotion: promotionID, expected: expected, found: current.state)
            }
            try Self.update(db, promotionID: promotionID, to: state, changes: changes, at: at)
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "promotion.\(state.rawValue)", environment: current.target,
                promotionID: promotionID,
                message: message, details: details)
            return try Self.fetchPromotion(db, id: promotionID)
        }
    }

    /// Records a problem that keeps a promotion where it is (a target that is down, a transient error), with an
    /// audit event only when the problem is new, so a target down for an hour logs once, not every tick.
    /// Returns whether the problem was new.
    @discardableResult
    public func noteProblem(
        promotionID: Int64, state expected: PromotionState, problem: String, actor: String, at: Date
    ) throws(StoreError) -> Bool {
        try write { db in
            let current = try Self.fetchPromotion(db, id: promotionID)
            guard current.state == expected else {
                throw StoreError.stateChanged(promotion: promotionID, expected: expected, found: current.state)
            }
            let problem = Self.redacted(problem)
            guard current.lastError != problem else { return false }
            try db.execute(
                sql: "UPDATE promotion SET last_error = ?, updated_at = ? WHERE id = ?",
                arguments: [problem, Self.seconds(at), promotionID])
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "promotion.waiting", environment: current.target,
                promotionID: promotionID, message: problem, details: nil)
            return true
        }
    }

    /// The promotion of one revision to one target, if there is one.
    public func promotion(revisionID: Int64, target: String) throws(StoreError) -> PromotionRecord? {
        try read { db in
            try PromotionRecord.filter(
                PromotionRecord.Columns.revisionID == revisionID && PromotionRecord.Columns.target == target
            ).fetchOne(db)
        }
    }

    /// Applies a decision's transition and marks the decision consumed, in one transaction, so a crash cannot
    /// act on a decision twice or lose it.
    public func consumeDecision(
        _ decision: DecisionRecord, transition: (from: PromotionState, to: PromotionState, changes: TransitionChanges)?,
        message: String, at: Date
    ) throws(StoreError) {
        try write { db in
            let current = try Self.fetchPromotion(db, id: decision.promotionID)
            if let transition {
                guard current.state == transition.from else {
                    throw StoreError.stateChanged(
                        promotion: decision.promotionID, expected: transition.from, found: current.state)
                }
                try Self.update(
                    db, promotionID: decision.promotionID, to: transition.to, changes: transition.changes, at: at)
                try Self.insertEvent(
                    db, at: at, actor: decision.actor, kind: "promotion.\(transition.to.rawValue)",
                    environment: current.target,
                    promotionID: decision.promotionID, message: message, details: nil)
            } else {
                try Self.insertEvent(
                    db, at: at, actor: "daemon", kind: "decision.ignored", environment: current.target,
                    promotionID: decision.promotionID, message: message, details: nil)
            }
            try db.execute(
                sql: "UPDATE decision SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
                arguments: [Self.seconds(at), decision.id])
        }
    }

    public func promotion(id: Int64) throws(StoreError) -> PromotionRecord? {
        try read { db in try PromotionRecord.fetchOne(db, key: id) }
    }

    /// Promotions in one of `states` (the active ones, for `status`), oldest first. Uses the state index.
    public func promotions(inStates states: Set<PromotionState>) throws(StoreError) -> [PromotionRecord] {
        guard !states.isEmpty else { return [] }
        return try read { db in
            try PromotionRecord.filter(states.map(\.rawValue).contains(PromotionRecord.Columns.state))
                .order(PromotionRecord.Columns.id).fetchAll(db)
        }
    }

    /// Promotions not in one of `finalStates`, oldest first (a scan; prefer `promotions(inStates:)`).
    public func promotionsInFlight(finalStates: Set<PromotionState>) throws(StoreError) -> [PromotionRecord] {
        try read { db in
            try PromotionRecord.filter(!finalStates.map(\.rawValue).contains(PromotionRecord.Columns.state))
                .order(PromotionRecord.Columns.id).fetchAll(db)
        }
    }

    /// The promotion history, newest first: `limit` entries, optionally for one target and since a time.
    public func history(limit: Int, target: String? = nil, since: Date? = nil) throws(StoreError) -> [PromotionRecord] {
        try read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let target {
                conditions.append("target = ?")
                arguments.append(target)
            }
            if let since {
                conditions.append("updated_at >= ?")
                arguments.append(Self.seconds(since))
            }
            arguments.append(limit)
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try PromotionRecord.fetchAll(
                db, sql: "SELECT * FROM promotion \(filter) ORDER BY updated_at DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments))
        }
    }

    /// Counts of promotions by state.
    public func promotionCounts() throws(StoreError) -> [PromotionState: Int] {
        try read { db in
            var counts: [PromotionState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM promotion GROUP BY state") {
                counts[try Self.state(row["state"], of: "a promotion")] = row["n"]
            }
            return counts
        }
    }

    // MARK: Decisions

    /// Records a person's decision (the CLI writes it; the engine reads and consumes it), with its audit event.
    @discardableResult
    public func recordDecision(
        promotionID: Int64, kind: DecisionRecord.Kind, actor: String, comment: String?, allowDestructive: Bool = false,
        despiteWarnings: Bool = false, at: Date
    ) throws(StoreError) -> DecisionRecord {
        try write { db in
            let promotion = try Self.fetchPromotion(db, id: promotionID)
            try db.execute(
                sql: """
                    INSERT INTO decision
                        (promotion_id, kind, actor, comment, allow_destructive, despite_warnings, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    promotionID, kind.rawValue, actor, comment.map(Self.redacted), allowDestructive, despiteWarnings,
                    Self.seconds(at),
                ])
            let id = db.lastInsertedRowID
            var message = "\(actor) chose to \(kind.rawValue) promotion \(promotionID)"
            if let comment, !comment.isEmpty { message += ": \(comment)" }
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "decision.\(kind.rawValue)", environment: promotion.target,
                promotionID: promotionID, message: message, details: nil)
            return DecisionRecord(
                id: id, promotionID: promotionID, kind: kind, actor: actor, comment: comment,
                allowDestructive: allowDestructive, despiteWarnings: despiteWarnings, decidedAt: at, consumedAt: nil)
        }
    }

    /// Decisions the engine has not acted on yet, oldest first.
    public func pendingDecisions() throws(StoreError) -> [DecisionRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM decision WHERE consumed_at IS NULL ORDER BY id").map(Self.decision)
        }
    }

    public func decisions(promotionID: Int64) throws(StoreError) -> [DecisionRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM decision WHERE promotion_id = ? ORDER BY id", arguments: [promotionID]
            )
            .map(Self.decision)
        }
    }

    /// Marks a decision as acted on.
    public func consumeDecision(id: Int64, at: Date) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "UPDATE decision SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
                arguments: [Self.seconds(at), id])
        }
    }

    // MARK: Audit log

    /// Appends an event that belongs to no transition (drift seen, a poll error, a configuration reload).
    @discardableResult
    public func appendEvent(
        kind: String, actor: String, environment: String? = nil, promotionID: Int64? = nil, message: String,
        details: String? = nil, at: Date
    ) throws(StoreError) -> Int64 {
        try write { db in
            try Self.insertEvent(
                db, at: at, actor: actor, kind: kind, environment: environment, promotionID: promotionID,
                message: message,
                details: details)
            return db.lastInsertedRowID
        }
    }

    /// The events of one promotion, in order.
    public func events(promotionID: Int64) throws(StoreError) -> [EventRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM event WHERE promotion_id = ? ORDER BY id", arguments: [promotionID]
            )
            .map(Self.event)
        }
    }

    /// The newest events, newest first.
    public func recentEvents(limit: Int, kind: String? = nil) throws(StoreError) -> [EventRecord] {
        try read { db in
            if let kind {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM event WHERE kind = ? ORDER BY id DESC LIMIT ?", arguments: [kind, limit]
                ).map(Self.event)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM event ORDER BY id DESC LIMIT ?", arguments: [limit]).map(
                Self.event)
        }
    }

    public func eventCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0 }
    }

    // MARK: Rows

    static func insertEvent(
        _ db: Database, at: Date, actor: String, kind: String, environment: String?, promotionID: Int64?,
        message: String,
        details: String?
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO event (at, actor, kind, environment, promotion_id, message, details)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [seconds(at), actor, kind, environment, promotionID, redacted(message), details.map(redacted)])
    }

    /// Text on its way into the database, with every known secret blanked out (`Redactor`).
    static func redacted(_ text: String) -> String { Redactor.process.redact(text) }

    static func update(
        _ db: Database, promotionID: Int64, to state: PromotionState, changes: TransitionChanges, at: Date
    ) throws {
        var assignments = ["state = ?", "updated_at = ?", "attempts = attempts + ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [state.rawValue, Self.seconds(at), changes.attemptsDelta]
        // A change given (even as nil) is written; one not given leaves the column alone.
        typealias Value = (any DatabaseValueConvertible)?
        let optional: [(String, Value?)] = [
            ("diff_id", changes.diffID.map { $0 as Value }),
            ("pre_apply_snapshot_hash", changes.preApplySnapshotHash.map { $0 as Value }),
            ("pre_apply_config_hash", changes.preApplyConfigHash.map { $0 as Value }),
            ("pre_apply_content_hash", changes.preApplyContentHash.map { $0 as Value }),
            ("last_error", changes.lastError.map { $0.map(redacted) as Value }),
            ("machine", changes.machine.map { $0.map(redacted) as Value }),
        ]
        for case (let column, let value?) in optional {
            assignments.append("\(column) = ?")
            arguments.append(value)
        }
        arguments.append(promotionID)
        try db.execute(
            sql: "UPDATE promotion SET \(assignments.joined(separator: ", ")) WHERE id = ?",
            arguments: StatementArguments(arguments))
    }

    static func fetchPromotion(_ db: Database, id: Int64) throws -> PromotionRecord {
        guard let promotion = try PromotionRecord.fetchOne(db, key: id) else {
            throw StoreError.notFound("promotion \(id)")
        }
        return promotion
    }

    /// A state read from a row; one that is not a state is damage, never a guess.
    static func state(_ text: String, of what: String) throws -> PromotionState {
        guard let state = PromotionState(rawValue: text) else {
            throw StoreError.corrupt("\(what) has the unknown state \"\(text.prefix(40))\"")
        }
        return state
    }

    static func decision(_ row: Row) throws -> DecisionRecord {
        let kind: String = row["kind"]
        guard let decided = PromotionDecision(rawValue: kind) else {
            throw StoreError.corrupt("decision \(row["id"] as Int64) has the unknown kind \"\(kind.prefix(40))\"")
        }
        return DecisionRecord(
            id: row["id"], promotionID: row["promotion_id"],
            kind: decided,
            actor: row["actor"], comment: row["comment"], allowDestructive: row["allow_destructive"],
            despiteWarnings: row["despite_warnings"] ?? false, decidedAt: date(row["decided_at"]),
            consumedAt: (row["consumed_at"] as Double?).map(date))
    }

    static func event(_ row: Row) -> EventRecord {
        EventRecord(
            id: row["id"], at: date(row["at"]), actor: row["actor"], kind: row["kind"], environment: row["environment"],
            promotionID: row["promotion_id"], message: row["message"], details: row["details"])
    }
}
