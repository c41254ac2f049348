import DirectusSchema
import Foundation
import GRDB

extension Store {
    // MARK: Environments

    /// Records what an environment reported about itself.
    public func recordEnvironment(
        name: String, url: String, directusVersion: String?, vendor: String?, at: Date
    )
        throws(StoreError)
    {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO environment (name, url, directus_version, vendor, last_seen_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET url = excluded.url,
                        directus_version = coalesce(excluded.directus_version, directus_version),
                        vendor = coalesce(excluded.vendor, vendor), last_seen_at = excluded.last_seen_at
                    """, arguments: [name, url, directusVersion, vendor, Self.seconds(at)])
        }
    }

    /// Registers a configured environment (or updates its URL) without claiming it was seen.
    public func registerEnvironment(name: String, url: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO environment (name, url) VALUES (?, ?)
                    ON CONFLICT(name) DO UPDATE SET url = excluded.url
                    """, arguments: [name, url])
        }
    }

    public func environments() throws(StoreError) -> [EnvironmentRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM environment ORDER BY name").map { row in
                EnvironmentRecord(
                    name: row["name"], url: row["url"], directusVersion: row["directus_version"], vendor: row["vendor"],
                    lastSeenAt: (row["last_seen_at"] as Double?).map(Self.date))
            }
        }
    }

    // MARK: Snapshots

    /// Deltas chain at most this deep before a snapshot is stored whole again, so that reading any snapshot takes
    /// at most this many decompressions (rollback and export need random access, not a replay of history; git
    /// allows 50 by default and 250 with `gc --aggressive`).
    public static let maxDeltaDepth = 100

    /// What storing a snapshot needs, from a tree or from a document; the compact bytes are made only when the
    /// snapshot is new.
    struct Storable {
        let hash: String
        let directus: String?
        let vendor: String?
        let bytes: () -> ArraySlice<UInt8>

        init(_ snapshot: Snapshot) {
            hash = snapshot.contentHash
            directus = snapshot.directus
            vendor = snapshot.vendor
            bytes = { JSONWriter().bytes(snapshot.json)[...] }
        }

        init(_ document: SnapshotDocument) {
            hash = document.contentHash
            directus = document.directus
            vendor = document.vendor
            bytes = { document.compactJSON }
        }
    }

    /// Stores `snapshot` if it is new (content-addressed) and returns its hash. With `base` (the previous snapshot
    /// of the same environment), it is stored as a zstd delta against it: a small edit of a large schema costs a
    /// few hundred bytes.
    static func storeSnapshot(
        _ snapshot: Storable, in db: Database, at: Date, base: String? = nil
    ) throws -> (hash: String, isNew: Bool) {
        let hash = snapshot.hash
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM snapshot WHERE hash = ?", arguments: [hash]) == true {
            return (hash, false)
        }
        let bytes = snapshot.bytes()
        var baseHash: String?
        var compressed: [UInt8]
        if let base, try deltaDepth(of: base, in: db) < maxDeltaDepth, let baseBytes = try loadBytes(hash: base, in: db)
        {
            compressed = try SnapshotCodec.compress(bytes, against: baseBytes)
            baseHash = base
            // A delta that is not small (an unrelated schema) may not be worth its chain: compare with the whole.
            if compressed.count * 16 > bytes.count {
                let whole = try SnapshotCodec.compress(bytes)
                if whole.count <= compressed.count {
                    compressed = whole
                    baseHash = nil
                }
            }
        } else {
            compressed = try SnapshotCodec.compress(bytes)
        }
        try db.execute(
            sql: """
                INSERT INTO snapshot (hash, directus_version, vendor, size, codec, base_hash, content, first_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                hash, snapshot.directus, snapshot.vendor, bytes.count, SnapshotCodec.name, baseHash, Data(compressed),
                Self.seconds(at),
            ])
        return (hash, true)
    }

    /// The delta depth of a stored snapshot (0: stored whole): how many decompressions reading it takes, minus one.
    public func snapshotDeltaDepth(_ hash: String) throws(StoreError) -> Int {
        try read { db in try Self.deltaDepth(of: hash, in: db) }
    }

    /// How many deltas lie between a snapshot and a whole one.
    static func deltaDepth(of hash: String, in db: Database) throws -> Int {
        var depth = 0
        var current: String? = hash
        while let next = current, depth <= maxDeltaDepth {
            current = try String.fetchOne(db, sql: "SELECT base_hash FROM snapshot WHERE hash = ?", arguments: [next])
            if current != nil { depth += 1 }
        }
        return depth
    }

    /// Stores a snapshot (once, however often it is seen) and returns its content hash.
    @discardableResult
    public func recordSnapshot(_ snapshot: Snapshot, at: Date) throws(StoreError) -> String {
        try write { db in try Self.storeSnapshot(Storable(snapshot), in: db, at: at).hash }
    }

    /// The stored snapshot with this content hash.
    public func snapshot(hash: String) throws(StoreError) -> Snapshot? {
        try read { db in try Self.loadSnapshot(hash: hash, in: db) }
    }

    static func loadSnapshot(hash: String, in db: Database) throws -> Snapshot? {
        guard let bytes = try loadBytes(hash: hash, in: db) else { return nil }
        guard case .object(let root) = try? JSONParser.parse(bytes) else {
            throw StoreError.corrupt("snapshot \(hash.prefix(12)) does not read as a JSON object")
        }
        // Every read is checked against the content hash it is stored under (which covers its whole delta chain).
        let snapshot = Snapshot(root: root)
        guard snapshot.contentHash == hash else {
            throw StoreError.corrupt("snapshot \(hash.prefix(12)) does not match its content hash")
        }
        return snapshot
    }

    /// The stored bytes of a snapshot, following its delta chain.
    static func loadBytes(hash: String, in db: Database) throws -> [UInt8]? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshot WHERE hash = ?", arguments: [hash]) else {
            return nil
        }
        var base: [UInt8]?
        if let baseHash: String = row["base_hash"] {
            guard let baseBytes = try loadBytes(hash: baseHash, in: db) else {
                throw StoreError.corrupt("snapshot \(hash) is a delta against missing \(baseHash)")
            }
            base = baseBytes
        }
        let content: Data = row["content"]
        return try SnapshotCodec.decompress(Array(content), size: row["size"], against: base)
    }

    /// How many snapshots are stored, and their compressed and original bytes.
    public func snapshotStorage() throws(StoreError) -> (count: Int, storedBytes: Int, originalBytes: Int) {
        try read { db in
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT count(*) AS n, coalesce(sum(length(content)), 0) AS c, coalesce(sum(size), 0) AS s FROM snapshot"
            )
            return (row?["n"] ?? 0, row?["c"] ?? 0, row?["s"] ?? 0)
        }
    }

    // MARK: Observations

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
        try write { db in
            let previous = try String.fetchOne(
                db,
                sql: """
                    SELECT snapshot_hash FROM observation WHERE environment = ? AND outcome = 'ok'
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [environment])
            guard let snapshot else {
                try db.execute(
                    sql: """
                        INSERT INTO observation (environment, observed_at, snapshot_hash, outcome, error, changed)
                        VALUES (?, ?, NULL, 'error', ?, 0)
                        """, arguments: [environment, Self.seconds(at), Self.redacted(error ?? "unknown error")])
                return ObservationResult(snapshotHash: nil, isNewSnapshot: false, changed: false)
            }
            let stored = try Self.storeSnapshot(snapshot, in: db, at: at, base: previous)
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

    // MARK: Revisions and diffs

    /// Records a new schema of the source environment (its snapshot must be stored).
    public func recordRevision(environment: String, snapshotHash: String, at: Date) throws(StoreError) -> RevisionRecord
    {
        try write { db in
            try db.execute(
                sql: "INSERT INTO revision (environment, snapshot_hash, detected_at) VALUES (?, ?, ?)",
                arguments: [environment, snapshotHash, Self.seconds(at)])
            return RevisionRecord(
                id: db.lastInsertedRowID, environment: environment, snapshotHash: snapshotHash, detectedAt: at)
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
            detectedAt: date(row["detected_at"]))
    }

    /// Records the diff Directus computed for a revision on a target, with its classification.
    public func recordDiff(
        revisionID: Int64, target: String, directusHash: String, targetSnapshotHash: String, diff: JSONValue,
        summary: Plan.Summary, contentKey: String? = nil, at: Date
    ) throws(StoreError) -> StoredDiff {
        try write { db in
            let bytes = JSONWriter().bytes(diff)
            let compressed = try SnapshotCodec.compress(bytes)
            try db.execute(
                sql: """
                    INSERT INTO diff (revision_id, target, directus_hash, target_snapshot_hash, codec, size, content,
                        creates, updates, deletes, destructive, computed_at, content_key)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    revisionID, target, directusHash, targetSnapshotHash, SnapshotCodec.name, bytes.count,
                    Data(compressed),
                    summary.creates, summary.updates, summary.deletes, summary.destructive, Self.seconds(at),
                    contentKey,
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
}
