import DirectusSchema
import Foundation
import GRDB

/// The `snapshot` table: content-addressed, compressed, optionally a delta against a base.
extension Store {
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
            compressed = try SnapshotCodec.compress(bytes, against: baseBytes, dictionary: true)
            baseHash = base
            // A delta that is not small (an unrelated schema) may not be worth its chain: compare with the whole.
            if compressed.count * 16 > bytes.count {
                let whole = try SnapshotCodec.compress(bytes, dictionary: true)
                if whole.count <= compressed.count {
                    compressed = whole
                    baseHash = nil
                }
            }
        } else {
            compressed = try SnapshotCodec.compress(bytes, dictionary: true)
        }
        try db.execute(
            sql: """
                INSERT INTO snapshot (hash, directus_version, vendor, size, codec, base_hash, content, first_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                hash, snapshot.directus, snapshot.vendor, bytes.count, SnapshotCodec.dictionaryName, baseHash,
                Data(compressed),
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
        let codec: String = row["codec"]
        guard codec == SnapshotCodec.name || codec == SnapshotCodec.dictionaryName else {
            throw StoreError.corrupt("snapshot \(hash.prefix(12)) is stored with the unknown codec \(codec)")
        }
        return try SnapshotCodec.decompress(
            Array(content), size: row["size"], against: base, dictionary: codec == SnapshotCodec.dictionaryName)
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
}
