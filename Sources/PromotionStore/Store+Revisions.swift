import DirectusSchema
import Foundation
import GRDB
import PromotionCore

/// The `revision` and `diff` tables: each new source schema, and the diffs planned for it.
extension Store {
    /// Records a new schema of the source environment (its snapshot must be stored).
    public func recordRevision(
        environment: String, snapshotHash: String, configHash: String? = nil, contentHash: String? = nil, at: Date
    ) throws(StoreError) -> RevisionRecord {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO revision (environment, snapshot_hash, config_hash, content_hash, detected_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [environment, snapshotHash, configHash, contentHash, Self.seconds(at)])
            return RevisionRecord(
                id: db.lastInsertedRowID, environment: environment, snapshotHash: snapshotHash, detectedAt: at,
                configHash: configHash, contentHash: contentHash)
        }
    }

    /// The newest revision, of one environment when given (the source's; a rollback's revision belongs to the
    /// environment it restores).
    public func latestRevision(environment: String? = nil) throws(StoreError) -> RevisionRecord? {
        try read { db in
            if let environment {
                return try Row.fetchOne(
                    db, sql: "SELECT * FROM revision WHERE environment = ? ORDER BY id DESC LIMIT 1",
                    arguments: [environment]
                ).map(Self.revision)
            }
            return try Row.fetchOne(db, sql: "SELECT * FROM revision ORDER BY id DESC LIMIT 1").map(Self.revision)
        }
    }

    static func revision(_ row: Row) -> RevisionRecord {
        RevisionRecord(
            id: row["id"], environment: row["environment"], snapshotHash: row["snapshot_hash"],
            detectedAt: date(row["detected_at"]), configHash: row["config_hash"], contentHash: row["content_hash"])
    }

    /// Records the diff Directus computed for a revision on a target, with its classification.
    public func recordDiff(
        revisionID: Int64, target: String, directusHash: String, targetSnapshotHash: String, diff: JSONValue,
        summary: Plan.Summary, contentKey: String? = nil, configPlan: JSONValue? = nil,
        contentPlan: JSONValue? = nil, at: Date
    ) throws(StoreError) -> StoredDiff {
        try write { db in
            let bytes = JSONWriter().bytes(diff)
            let compressed = try SnapshotCodec.compress(bytes)
            func packed(_ plan: JSONValue?) throws(SnapshotCodec.Failure) -> (Data, Int)? {
                guard let plan else { return nil }
                let bytes = JSONWriter().bytes(plan)
                return (Data(try SnapshotCodec.compress(bytes)), bytes.count)
            }
            let config = try packed(configPlan)
            let content = try packed(contentPlan)
            try db.execute(
                sql: """
                    INSERT INTO diff (revision_id, target, directus_hash, target_snapshot_hash, codec, size, content,
                        creates, updates, deletes, destructive, computed_at, content_key, config_plan,
                        config_plan_size, content_plan, content_plan_size)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    revisionID, target, directusHash, targetSnapshotHash, SnapshotCodec.name, bytes.count,
                    Data(compressed),
                    summary.creates, summary.updates, summary.deletes, summary.destructive, Self.seconds(at),
                    contentKey, config?.0, config?.1, content?.0, content?.1,
                ])
            return StoredDiff(
                id: db.lastInsertedRowID, revisionID: revisionID, target: target, directusHash: directusHash,
                targetSnapshotHash: targetSnapshotHash, creates: summary.creates, updates: summary.updates,
                deletes: summary.deletes, destructive: summary.destructive, contentKey: contentKey, computedAt: at)
        }
    }

    public func diff(id: Int64) throws(StoreError) -> StoredDiff? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM diff WHERE id = ?", arguments: [id]).map { row in
                StoredDiff(
                    id: row["id"], revisionID: row["revision_id"], target: row["target"],
                    directusHash: row["directus_hash"], targetSnapshotHash: row["target_snapshot_hash"],
                    creates: row["creates"], updates: row["updates"], deletes: row["deletes"],
                    destructive: row["destructive"], contentKey: row["content_key"],
                    computedAt: Self.date(row["computed_at"]))
            }
        }
    }

    public func revision(id: Int64) throws(StoreError) -> RevisionRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM revision WHERE id = ?", arguments: [id]).map(Self.revision)
        }
    }

    /// The configuration plan of a stored diff (`ConfigPlanRenderer.json`), when it has one.
    public func configPlan(diffID: Int64) throws(StoreError) -> JSONValue? {
        try storedPlan(diffID: diffID, column: "config_plan")
    }

    /// The content plan of a stored diff (`ContentPlanRenderer.json`), when it has one.
    public func contentPlan(diffID: Int64) throws(StoreError) -> JSONValue? {
        try storedPlan(diffID: diffID, column: "content_plan")
    }

    private func storedPlan(diffID: Int64, column: String) throws(StoreError) -> JSONValue? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(column)_size AS size, \(column) AS plan FROM diff WHERE id = ?",
                    arguments: [diffID]),
                let size: Int = row["size"], let content: Data = row["plan"]
            else { return nil }
            return try JSONParser.parse(try SnapshotCodec.decompress(Array(content), size: size))
        }
    }

    /// The Directus diff JSON of a stored diff.
    public func diffContent(id: Int64) throws(StoreError) -> JSONValue? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT size, content FROM diff WHERE id = ?", arguments: [id])
            else {
                return nil
            }
            let content: Data = row["content"]
            return try JSONParser.parse(try SnapshotCodec.decompress(Array(content), size: row["size"]))
        }
    }

    /// Plans a revision again after its promotion to a target was rejected or cancelled: a new revision of the same
    /// environment and snapshot, newer than every other, so the next tick gives it a promotion per target (a target
    /// that already has it finds itself in sync). With its audit event, in one transaction.
    public func replanRevision(
        of promotion: PromotionRecord, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> RevisionRecord {
        try write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM revision WHERE id = ?", arguments: [promotion.revisionID])
            else { throw StoreError.notFound("revision \(promotion.revisionID)") }
            let old = Self.revision(row)
            try db.execute(
                sql: """
                    INSERT INTO revision (environment, snapshot_hash, config_hash, content_hash, detected_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [old.environment, old.snapshotHash, old.configHash, old.contentHash, Self.seconds(at)])
            let id = db.lastInsertedRowID
            var message =
                "\(actor) asked to plan revision r\(old.id) again, as r\(id), after promotion \(promotion.id) to "
                + "\(promotion.target) was \(promotion.state.words)"
            if let comment, !comment.isEmpty { message += ": \(comment)" }
            try Self.insertEvent(
                db, at: at, actor: actor, kind: "revision.replanned", environment: old.environment,
                promotionID: promotion.id, message: message, details: nil)
            return RevisionRecord(
                id: id, environment: old.environment, snapshotHash: old.snapshotHash, detectedAt: at,
                configHash: old.configHash, contentHash: old.contentHash)
        }
    }
}
