import DirectusContent
import DirectusSchema
import Foundation
import GRDB

/// Reference data in history, and its expectations and drift (the configuration's, one way: `DriftSubject`).
extension Store {
    /// Stores a content set (once, however often seen); returns its content hash.
    @discardableResult
    public func storeContent(_ content: ContentSet, at: Date) throws(StoreError) -> String {
        let hash = content.contentHash
        let bytes = content.storedJSON
        let known = try read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM content_snapshot WHERE hash = ?", arguments: [hash]) == true
        }
        if known { return hash }
        // Compressed before the write transaction (up to megabytes of rows), as snapshots are.
        let compressed: [UInt8]
        do {
            compressed = try Self.compressing.withLock { _ throws(SnapshotCodec.Failure) in
                try SnapshotCodec.compress(bytes)
            }
        } catch {
            throw StoreError.database("\(error)")
        }
        return try write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO content_snapshot (hash, size, codec, content, first_seen_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, arguments: [hash, bytes.count, SnapshotCodec.name, Data(compressed), Self.seconds(at)])
            return hash
        }
    }

    /// A stored content set, checked against its hash.
    public func content(hash: String) throws(StoreError) -> ContentSet? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT size, content FROM content_snapshot WHERE hash = ?", arguments: [hash])
            else { return nil }
            let stored: Data = row["content"]
            let bytes = try SnapshotCodec.decompress(Array(stored), size: row["size"])
            let content: ContentSet
            do {
                content = try ContentSet(stored: bytes)
            } catch {
                throw StoreError.corrupt("the stored reference data \(hash.prefix(12)) does not read: \(error)")
            }
            guard content.contentHash == hash else {
                throw StoreError.corrupt("the stored reference data \(hash.prefix(12)) does not match its hash")
            }
            return content
        }
    }

    public func contentExpectation(environment: String) throws(StoreError) -> String? {
        try read { db in
            try String.fetchOne(
                db, sql: "SELECT content_hash FROM content_expectation WHERE environment = ?",
                arguments: [environment])
        }
    }

    /// Sets the reference data `environment` is expected to have (clearing a drift recorded against the old one).
    public func setContentExpectation(
        environment: String, contentHash: String, reason: ConfigExpectationRecord.Reason, actor: String,
        message: String?, at: Date
    ) throws(StoreError) {
        try changeExpectation(
            of: .content, environment: environment, hash: contentHash, reason: reason.rawValue,
            eventKind: "content.expectation.\(reason.rawValue)", actor: actor, message: message, at: at)
    }

    public func contentDrifts() throws(StoreError) -> [DriftRecord] { try drifts(of: .content) }

    public func contentDrift(environment: String) throws(StoreError) -> DriftRecord? {
        try drift(of: .content, environment: environment)
    }

    /// Records a drift of reference data; true (with a `drift.detected` event) only for content not already
    /// recorded as the drift: one event per distinct drift.
    @discardableResult
    public func recordContentDrift(
        environment: String, observedHash: String, expectedHash: String, summary: String, details: String?, at: Date
    ) throws(StoreError) -> Bool {
        try recordDrift(
            of: .content, environment: environment, observedHash: observedHash, expectedHash: expectedHash,
            summary: summary, details: details, at: at)
    }

    /// Clears the drift of an environment's reference data back to its expectation (`drift.resolved`).
    public func resolveContentDrift(environment: String, message: String, at: Date) throws(StoreError) {
        try resolveDrift(of: .content, environment: environment, message: message, at: at)
    }

    /// A person adopts the drifted reference data as the expectation (`drift accept`).
    public func acceptContentDrift(
        environment: String, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> DriftRecord {
        try acceptDrift(of: .content, environment: environment, actor: actor, comment: comment, at: at)
    }
}
