import Foundation
import GRDB

/// The schema an environment is expected to have, and why.
public struct ExpectationRecord: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case firstSeen = "first_seen", verified, upgraded, accepted, equivalent
        case rolledBack = "rolled_back"
    }

    public var environment: String
    public var snapshotHash: String
    public var reason: Reason
    public var since: Date
}

/// A drift seen on an environment: what it has instead of what it should have.
public struct DriftRecord: Sendable, Equatable {
    public var environment: String
    public var observedHash: String
    public var expectedHash: String
    public var summary: String
    public var detectedAt: Date
}

extension Store {
    public func expectation(environment: String) throws(StoreError) -> ExpectationRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM expectation WHERE environment = ?", arguments: [environment]).map {
                row in
                let reason: String = row["reason"]
                guard let known = ExpectationRecord.Reason(rawValue: reason) else {
                    throw StoreError.corrupt("the expectation of \(environment) has the unknown reason \"\(reason)\"")
                }
                return ExpectationRecord(
                    environment: row["environment"], snapshotHash: row["snapshot_hash"], reason: known,
                    since: Self.date(row["since"]))
            }
        }
    }

    /// Sets what `environment` is expected to have. A change of expectation clears any drift recorded against the
    /// old one; `message` (when given) goes to the audit log.
    public func setExpectation(
        environment: String, snapshotHash: String, reason: ExpectationRecord.Reason, actor: String,
        message: String?, at: Date
    ) throws(StoreError) {
        try changeExpectation(
            of: .schema, environment: environment, hash: snapshotHash, reason: reason.rawValue,
            eventKind: "expectation.\(reason.rawValue)", actor: actor, message: message, at: at)
    }

    public func drift(environment: String) throws(StoreError) -> DriftRecord? {
        try drift(of: .schema, environment: environment)
    }

    public func drifts() throws(StoreError) -> [DriftRecord] { try drifts(of: .schema) }

    /// Records a drift. Returns true (and writes a `drift.detected` event) only when this observed schema was not
    /// already the recorded drift: one event per distinct drift, not one per poll.
    @discardableResult
    public func recordDrift(
        environment: String, observedHash: String, expectedHash: String, summary: String, details: String?, at: Date
    ) throws(StoreError) -> Bool {
        try recordDrift(
            of: .schema, environment: environment, observedHash: observedHash, expectedHash: expectedHash,
            summary: summary, details: details, at: at)
    }

    /// Clears the drift of an environment whose schema is back to the expectation; records `drift.resolved`.
    public func resolveDrift(environment: String, message: String, at: Date) throws(StoreError) {
        try resolveDrift(of: .schema, environment: environment, message: message, at: at)
    }

    /// A person adopts the drifted schema as the new expectation (`drift accept`).
    public func acceptDrift(
        environment: String, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> DriftRecord {
        try acceptDrift(of: .schema, environment: environment, actor: actor, comment: comment, at: at)
    }

    // MARK: The schema's drift and the configuration's, one way

    /// What drifts: the schema (`drift`, `expectation`) or the configuration (`config_drift`, `config_expectation`).
    enum DriftSubject {
        case schema, configuration, content

        var driftTable: String {
            switch self {
            case .schema: "drift"
            case .configuration: "config_drift"
            case .content: "content_drift"
            }
        }

        var expectationTable: String {
            switch self {
            case .schema: "expectation"
            case .configuration: "config_expectation"
            case .content: "content_expectation"
            }
        }

        var hashColumn: String {
            switch self {
            case .schema: "snapshot_hash"
            case .configuration: "config_hash"
            case .content: "content_hash"
            }
        }

        var noun: String {
            switch self {
            case .schema: "schema"
            case .configuration: "configuration"
            case .content: "reference data"
            }
        }

        /// `production`, `production's configuration` or `production's reference data`, for messages.
        func subject(_ environment: String) -> String {
            self == .schema ? environment : "\(environment)'s \(noun)"
        }
    }

    func drift(of subject: DriftSubject, environment: String) throws(StoreError) -> DriftRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment]
            ).map(Self.drift)
        }
    }

    func drifts(of subject: DriftSubject) throws(StoreError) -> [DriftRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(subject.driftTable) ORDER BY environment").map(Self.drift)
        }
    }

    func recordDrift(
        of subject: DriftSubject, environment: String, observedHash: String, expectedHash: String, summary: String,
        details: String?, at: Date
    ) throws(StoreError) -> Bool {
        try write { db in
            let current = try String.fetchOne(
                db, sql: "SELECT observed_hash FROM \(subject.driftTable) WHERE environment = ?",
                arguments: [environment])
            guard current != observedHash else { return false }
            try db.execute(
                sql: """
                    INSERT INTO \(subject.driftTable) (environment, observed_hash, expected_hash, summary, detected_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(environment) DO UPDATE SET observed_hash = excluded.observed_hash,
                        expected_hash = excluded.expected_hash, summary = excluded.summary,
                        detected_at = excluded.detected_at
                    """, arguments: [environment, observedHash, expectedHash, summary, Self.seconds(at)])
            try Self.insertEvent(
                db, at: at, actor: "daemon", kind: "drift.detected", environment: environment, promotionID: nil,
                message: "\(subject.subject(environment)) drifted: \(summary)", details: details)
            return true
        }
    }

    func resolveDrift(of subject: DriftSubject, environment: String, message: String, at: Date) throws(StoreError) {
        try write { db in
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment])
                    == true
            else { return }
            try db.execute(sql: "DELETE FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment])
            try Self.insertEvent(
                db, at: at, actor: "daemon", kind: "drift.resolved", environment: environment, promotionID: nil,
                message: message, details: nil)
        }
    }

    func acceptDrift(
        of subject: DriftSubject, environment: String, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> DriftRecord {
        try write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment])
            else {
                throw StoreError.notFound(
                    subject == .schema ? "a drift on \(environment)" : "a configuration drift on \(environment)")
            }
            let drift = Self.drift(row)
            try Self.setExpectation(
                db, of: subject, environment: environment, hash: drift.observedHash, reason: "accepted", at: at)
            try db.execute(sql: "DELETE FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment])
            var message =
                subject == .schema
                ? "\(actor) accepted the drift on \(environment) as its expected schema (\(drift.summary))"
                : "\(actor) accepted the configuration drift on \(environment) as its expected configuration "
                    + "(\(drift.summary))"
            if let comment, !comment.isEmpty { message += ": \(comment)" }
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "drift.accepted", environment: environment, promotionID: nil,
                message: message, details: nil)
            return drift
        }
    }

    /// Sets an expectation (an upsert) in the transaction of `db`.
    static func setExpectation(
        _ db: Database, of subject: DriftSubject, environment: String, hash: String, reason: String, at: Date
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO \(subject.expectationTable) (environment, \(subject.hashColumn), reason, since)
                VALUES (?, ?, ?, ?)
                ON CONFLICT(environment) DO UPDATE SET \(subject.hashColumn) = excluded.\(subject.hashColumn),
                    reason = excluded.reason, since = excluded.since
                """, arguments: [environment, hash, reason, Self.seconds(at)])
    }

    /// Changes what `environment` is expected to have; a change clears the drift recorded against the old one.
    func changeExpectation(
        of subject: DriftSubject, environment: String, hash: String, reason: String, eventKind: String,
        actor: String, message: String?, at: Date
    ) throws(StoreError) {
        try write { db in
            let current = try String.fetchOne(
                db, sql: "SELECT \(subject.hashColumn) FROM \(subject.expectationTable) WHERE environment = ?",
                arguments: [environment])
            guard current != hash else { return }
            try Self.setExpectation(db, of: subject, environment: environment, hash: hash, reason: reason, at: at)
            try db.execute(sql: "DELETE FROM \(subject.driftTable) WHERE environment = ?", arguments: [environment])
            if let message {
                try Self.insertEvent(
                    db, at: at, actor: actor, kind: eventKind, environment: environment, promotionID: nil,
                    message: message, details: nil)
            }
        }
    }

    static func drift(_ row: Row) -> DriftRecord {
        DriftRecord(
            environment: row["environment"], observedHash: row["observed_hash"], expectedHash: row["expected_hash"],
            summary: row["summary"], detectedAt: date(row["detected_at"]))
    }
}

extension Store {
    /// The newest promotion on `environment` that changed it (applied with an apply sent) and whose pre-apply
    /// snapshot is stored: what `rollback` undoes by default.
    public func latestRollbackCandidate(environment: String) throws(StoreError) -> PromotionRecord? {
        try read { db in
            try PromotionRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM promotion WHERE target = ? AND state = 'applied' AND attempts > 0
                        AND pre_apply_snapshot_hash IS NOT NULL
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [environment])
        }
    }

    /// Plans a rollback: a revision of `environment` whose schema is the one it had before `promotion` was applied,
    /// and a promotion of it to that environment alone (queued; it goes through the environment's approvals).
    public func createRollback(
        of promotion: PromotionRecord, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> PromotionRecord {
        try write { db in
            guard let hash = promotion.preApplySnapshotHash else {
                throw StoreError.notFound("a pre-apply snapshot for promotion \(promotion.id)")
            }
            try db.execute(
                sql: """
                    INSERT INTO revision (environment, snapshot_hash, config_hash, content_hash, detected_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    promotion.target, hash, promotion.preApplyConfigHash, promotion.preApplyContentHash,
                    Self.seconds(at),
                ])
            let revisionID = db.lastInsertedRowID
            try db.execute(
                sql: """
                    INSERT INTO promotion (revision_id, target, state, attempts, created_at, updated_at)
                    VALUES (?, ?, 'queued', 0, ?, ?)
                    """, arguments: [revisionID, promotion.target, Self.seconds(at), Self.seconds(at)])
            let id = db.lastInsertedRowID
            var message =
                "\(actor) asked to roll \(promotion.target) back to its schema before promotion \(promotion.id) "
                + "(revision r\(revisionID), snapshot \(hash.prefix(12)))"
            if let comment, !comment.isEmpty { message += ": \(comment)" }
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "promotion.created", environment: promotion.target, promotionID: id,
                message: message, details: nil)
            return try Self.fetchPromotion(db, id: id)
        }
    }
}
