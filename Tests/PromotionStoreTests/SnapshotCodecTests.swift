import DirectusSchema
import Foundation
import PromotionStore
import TestSupport
import Testing

/// The snapshot codec with the built-in dictionary (`zstd-d1`), and the blobs written before it.
@Suite("Snapshot codec")
struct SnapshotCodecTests {
    static func bytes(_ snapshot: Snapshot) -> [UInt8] { JSONWriter().bytes(snapshot.json) }

    @Test("whole and delta blobs round-trip against the dictionary, without the frame's magic number")
    func roundTrip() throws {
        let base = Self.bytes(Fixtures.fieldsChange)
        var changed = Fixtures.fieldsChange
        changed.root["directus"] = "11.17.4"
        let next = Self.bytes(changed)
        let whole = try SnapshotCodec.compress(base[...], dictionary: true)
        let plain = try SnapshotCodec.compress(base)
        #expect(whole.count < plain.count, "the dictionary makes a small snapshot smaller")
        #expect(Array(plain.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
        #expect(Array(whole.prefix(4)) != [0x28, 0xB5, 0x2F, 0xFD])
        #expect(try SnapshotCodec.decompress(whole, size: base.count, dictionary: true) == base)
        let delta = try SnapshotCodec.compress(next[...], against: base, dictionary: true)
        #expect(try SnapshotCodec.decompress(delta, size: next.count, against: base, dictionary: true) == next)
        #expect(throws: SnapshotCodec.Failure.self) {
            _ = try SnapshotCodec.decompress(whole, size: base.count)
        }
    }

    @Test("a state database written before the dictionary reads as it did; an unknown codec is damage")
    func olderBlobs() async throws {
        let path = temporaryDatabasePath()
        let snapshot = Fixtures.fieldsChange
        let hash = try Store.open(path: path).recordSnapshot(snapshot, at: t0)
        let old = try SnapshotCodec.compress(Self.bytes(snapshot))
        let hex = old.map { String(format: "%02X", $0) }.joined()
        try await sqlite(path, "UPDATE snapshot SET codec = 'zstd', content = X'\(hex)' WHERE hash = '\(hash)'")
        #expect(try Store.open(path: path).snapshot(hash: hash)?.contentHash == hash)
        try await sqlite(path, "UPDATE snapshot SET codec = 'lz9' WHERE hash = '\(hash)'")
        #expect(throws: StoreError.self) { _ = try Store.open(path: path).snapshot(hash: hash) }
    }

    func sqlite(_ path: String, _ sql: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        try process.run()
        let status = try await offThePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(status == 0)
    }
}
