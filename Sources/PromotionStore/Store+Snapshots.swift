import DirectusSchema
import Foundation
import GRDB
import Synchronization

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

    /// A new snapshot compressed and ready to insert. Compression (tens of milliseconds against the dictionary, and
    /// more for a large schema) happens before the write transaction, so that other processes writing to the same
    /// file never wait for it; stored snapshots are immutable and never removed, so the base it was compressed
    /// against is still there when it is inserted.
    struct Compressed {
        let size: Int
        let baseHash: String?
        let content: [UInt8]
    }

    /// Compresses `snapshot` unless it is already stored (then nil). With `base` (the previous snapshot of the same
    /// environment), as a zstd delta against it: a small edit of a large schema costs a few hundred bytes. Runs
    /// outside any transaction but the short read of the base.
    func compress(_ snapshot: Storable, base: (Database) throws -> String?) throws(StoreError) -> Compressed? {
        // One snapshot at a time in the process, from reading its base to compressing it: the environments of a
        // tick store their snapshots concurrently, and a large one's base, prefix and compression context take
        // several times its size.
        try Self.compressing.withLock { _ throws(StoreError) in
            let hash = snapshot.hash
            let found: (stored: Bool, base: String?, bytes: [UInt8]?) = try read { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM snapshot WHERE hash = ?", arguments: [hash]) == true {
                    return (true, nil, nil)
                }
                guard let base = try base(db), try Self.deltaDepth(of: base, in: db) < Self.maxDeltaDepth,
                    let bytes = try Self.loadBytes(hash: base, in: db)
                else { return (false, nil, nil) }
                return (false, base, bytes)
            }
            if found.stored { return nil }
            do {
                return try Self.compress(snapshot.bytes(), base: found.base, baseBytes: found.bytes)
            } catch {
                throw StoreError.database("\(error)")
            }
        }
    }

    /// Held while a snapshot's base is read and the snapshot compressed (outside any write transaction: other
    /// processes' writes never wait for it).
    static let compressing = Mutex(())

    static func compress(
        _ bytes: ArraySlice<UInt8>, base: String?, baseBytes: [UInt8]?
    ) throws(SnapshotCodec.Failure)
        -> Compressed
    {
        guard let base, let baseBytes else {
            return Compressed(
                size: bytes.count, baseHash: nil, content: try SnapshotCodec.compress(bytes, dictionary: true))
        }
        let delta = try SnapshotCodec.compress(bytes, against: baseBytes, dictionary: true)
        // A delta that is not small (an unrelated schema) may not be worth its chain: compare with the whole.
        if delta.count * 16 > bytes.count {
            let whole = try SnapshotCodec.compress(bytes, dictionary: true)
            if whole.count <= delta.count { return Compressed(size: bytes.count, baseHash: nil, content: whole) }
        }
        return Compressed(size: bytes.count, baseHash: base, content: delta)
    }

    /// Stores `snapshot` if it is new (content-addressed) and returns its hash: `compressed` as `compress` made it
    /// before this transaction, or (should it be missing) compressed whole here.
    static func storeSnapshot(
        _ snapshot: Storable, compressed: Compressed?, in db: Database, at: Date
    ) throws -> (hash: String, isNew: Bool) {
        let hash = snapshot.hash
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM snapshot WHERE hash = ?", arguments: [hash]) == true {
            return (hash, false)
        }
        let stored = try compressed ?? compress(snapshot.bytes(), base: nil, baseBytes: nil)
        try db.execute(
            sql: """
                INSERT INTO snapshot (hash, directus_version, vendor, size, codec, base_hash, content, first_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                hash, snapshot.directus, snapshot.vendor, stored.size, SnapshotCodec.dictionaryName,
                stored.baseHash, Data(stored.content), Self.seconds(at),
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
        let storable = Storable(snapshot)
        let compressed = try compress(storable, base: { _ in nil })
        return try write { db in try Self.storeSnapshot(storable, compressed: compressed, in: db, at: at).hash }
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
