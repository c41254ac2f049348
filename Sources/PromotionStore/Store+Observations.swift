import DirectusSchema
import Foundation
import GRDB

/// The `observation` table: each poll of an environment, with its retention.
extension Store {
    /// Records one poll of an environment: the snapshot it returned (stored once) or the error.
    public func recordObservation(
        environment: String, snapshot: Snapshot?, error: String? = nil, at: Date
    )
        throws(StoreError) -> ObservationResult
    {
        try recordObservation(environment: environment, storable: snapshot.map(Storable.init), error: error, at: at)
    }

    /// Records one poll of an environment that returned `document` (stored once, without building its tree).
    public func recordObservation(
        environment: String, document: SnapshotDocument, at: Date
    ) throws(StoreError) -> ObservationResult {
        try recordObservation(environment: environment, storable: Storable(document), error: nil, at: at)
    }

    private func recordObservation(
        environment: String, storable snapshot: Storable?, error: String?, at: Date
    ) throws(StoreError) -> ObservationResult {
        let previousSnapshot = { (db: Database) throws -> String? in
            try String.fetchOne(
                db,
                sql: """
                    SELECT snapshot_hash FROM observation WHERE environment = ? AND outcome = 'ok'
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [environment])
        }
        // Compressed against the environment's previous snapshot before the write transaction: should another
        // poll of the same environment land in between, the delta is against an older base, still a valid one.
        let compressed = try snapshot.flatMap { snapshot throws(StoreError) in
            try compress(snapshot, base: previousSnapshot)
        }
        return try write { db in
            let previous = try previousSnapshot(db)
            guard let snapshot else {
                try db.execute(
                    sql: """
                        INSERT INTO observation (environment, observed_at, snapshot_hash, outcome, error, changed)
                        VALUES (?, ?, NULL, 'error', ?, 0)
                        """, arguments: [environment, Self.seconds(at), Self.redacted(error ?? "unknown error")])
                return ObservationResult(snapshotHash: nil, isNewSnapshot: false, changed: false)
            }
            let stored = try Self.storeSnapshot(snapshot, compressed: compressed, in: db, at: at)
            let changed = previous != stored.hash
            try db.execute(
                sql: """
                    INSERT INTO observation (environment, observed_at, snapshot_hash, outcome, error, changed)
                    VALUES (?, ?, ?, 'ok', NULL, ?)
                    """, arguments: [environment, Self.seconds(at), stored.hash, changed])
            return ObservationResult(snapshotHash: stored.hash, isNewSnapshot: stored.isNew, changed: changed)
        }
    }

    /// Records a poll that returned a snapshot already stored (`hash`): the poller knew the body unchanged
    /// without parsing it.
    public func recordObservation(
        environment: String, storedSnapshot hash: String, at: Date
    ) throws(StoreError) -> ObservationResult {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM snapshot WHERE hash = ?", arguments: [hash]) == true
            else { throw StoreError.notFound("snapshot \(hash.prefix(12))") }
            let previous = try String.fetchOne(
                db,
                sql: """
                    SELECT snapshot_hash FROM observation WHERE environment = ? AND outcome = 'ok'
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [environment])
            let changed = previous != hash
            try db.execute(
                sql: """
                    INSERT INTO observation (environment, observed_at, snapshot_hash, outcome, error, changed)
                    VALUES (?, ?, ?, 'ok', NULL, ?)
                    """, arguments: [environment, Self.seconds(at), hash, changed])
            try db.execute(
                sql: "UPDATE environment SET last_seen_at = ? WHERE name = ?",
                arguments: [Self.seconds(at), environment])
            return ObservationResult(snapshotHash: hash, isNewSnapshot: false, changed: changed)
        }
    }

    /// Retention: keeps every observation that saw a change or an error, the first and last of each unchanged
    /// run, and thins the rest to one per `interval`; observations newer than `keepAllAfter` are all kept.
    /// Returns how many were removed.
    @discardableResult
    public func thinObservations(keepAllAfter: Date, interval: TimeInterval) throws(StoreError) -> Int {
        try write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, environment, observed_at, outcome, changed FROM observation
                    WHERE observed_at < ? ORDER BY environment, id
                    """, arguments: [Self.seconds(keepAllAfter)])
            var doomed: [Int64] = []
            var lastKept: [String: Double] = [:]
            for (offset, row) in rows.enumerated() {
                let environment: String = row["environment"]
                let at: Double = row["observed_at"]
                let isBoundary =
                    offset + 1 == rows.count || (rows[offset + 1]["environment"] as String) != environment
                    || (rows[offset + 1]["changed"] as Int) == 1
                if (row["outcome"] as String) == "error" || (row["changed"] as Int) == 1 || isBoundary
                    || at - (lastKept[environment] ?? -Double.infinity) >= interval
                {
                    lastKept[environment] = at
                    continue
                }
                doomed.append(row["id"])
            }
            for chunk in stride(from: 0, to: doomed.count, by: 500) {
                let ids = doomed[chunk..<min(chunk + 500, doomed.count)]
                try db.execute(
                    sql: "DELETE FROM observation WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(Array(ids)))
            }
            return doomed.count
        }
    }

    /// The newest observation of an environment: when, the snapshot seen (nil for a failed poll), the error.
    public func latestObservation(environment: String) throws(StoreError) -> ObservationRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM observation WHERE environment = ? ORDER BY id DESC LIMIT 1",
                arguments: [environment]
            ).map(Self.observation)
        }
    }

    /// The newest successful observation of an environment.
    public func latestSuccessfulObservation(environment: String) throws(StoreError) -> ObservationRecord? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM observation WHERE environment = ? AND outcome = 'ok' ORDER BY id DESC LIMIT 1",
                arguments: [environment]
            ).map(Self.observation)
        }
    }

    /// An environment's observations since `date`, oldest first (at most `limit`).
    public func observations(
        environment: String, since date: Date, limit: Int = 1000
    ) throws(StoreError) -> [ObservationRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM observation WHERE environment = ? AND observed_at >= ? ORDER BY id LIMIT ?",
                arguments: [environment, Self.seconds(date), limit]
            ).map(Self.observation)
        }
    }

    static func observation(_ row: Row) -> ObservationRecord {
        ObservationRecord(
            environment: row["environment"], observedAt: date(row["observed_at"]), snapshotHash: row["snapshot_hash"],
            error: row["error"])
    }

    /// The snapshots seen on an environment, newest first: hash, when first and last seen, how often.
    public func snapshotHistory(environment: String?, limit: Int) throws(StoreError) -> [SnapshotSighting] {
        try read { db in
            let filter = environment == nil ? "" : "AND o.environment = ?"
            var arguments: [(any DatabaseValueConvertible)?] = environment.map { [$0] } ?? []
            arguments.append(limit)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT o.environment, o.snapshot_hash, min(o.observed_at) AS first_seen,
                        max(o.observed_at) AS last_seen, count(*) AS times, s.directus_version, s.size
                    FROM observation o JOIN snapshot s ON s.hash = o.snapshot_hash
                    WHERE o.outcome = 'ok' \(filter)
                    GROUP BY o.environment, o.snapshot_hash
                    ORDER BY last_seen DESC LIMIT ?
                    """, arguments: StatementArguments(arguments)
            ).map { row in
                SnapshotSighting(
                    environment: row["environment"], hash: row["snapshot_hash"],
                    firstSeen: Self.date(row["first_seen"]), lastSeen: Self.date(row["last_seen"]),
                    times: row["times"], directusVersion: row["directus_version"], size: row["size"])
            }
        }
    }

    /// Snapshots whose hash starts with `prefix` (for `snapshot export` by a short id).
    public func snapshotHashes(prefix: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT hash FROM snapshot WHERE hash LIKE ? ORDER BY hash LIMIT 10",
                arguments: [prefix.lowercased() + "%"])
        }
    }

    public func observationCount(environment: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM observation WHERE environment = ?", arguments: [environment]) ?? 0
        }
    }
}
