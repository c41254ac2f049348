import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// The schemas seen on each environment, newest first, as `snapshots` lists them; and a stored snapshot found by a
/// reference people write (a hash prefix, or a revision such as `r3`).
public struct SnapshotListing: Sendable {
    public var sightings: [SnapshotSighting]

    public init(store: Store, environment: String?, limit: Int) throws {
        sightings = try store.snapshotHistory(environment: environment, limit: limit)
    }

    public var json: JSONValue {
        .array(
            sightings.map { sighting in
                [
                    "environment": .string(sighting.environment), "hash": .string(sighting.hash),
                    "directus_version": sighting.directusVersion.map(JSONValue.string) ?? .null,
                    "size": .number(JSONNumber(sighting.size)),
                    "first_seen": .string(Timestamp.utc(sighting.firstSeen)),
                    "last_seen": .string(Timestamp.utc(sighting.lastSeen)),
                    "polls": .number(JSONNumber(sighting.times)),
                ]
            })
    }

    public func text(now: Date) -> String {
        Table(
            header: ["ENVIRONMENT", "SNAPSHOT", "VERSION", "SIZE", "FIRST SEEN", "LAST SEEN", "POLLS"],
            rows: sightings.map {
                [
                    $0.environment, String($0.hash.prefix(12)), $0.directusVersion ?? "—", Self.size($0.size),
                    RelativeTime.describe($0.firstSeen, now: now), RelativeTime.describe($0.lastSeen, now: now),
                    "\($0.times)",
                ]
            }
        ).render()
    }

    static func size(_ bytes: Int) -> String {
        bytes < 10_000 ? "\(bytes) B" : bytes < 10_000_000 ? "\(bytes / 1000) kB" : "\(bytes / 1_000_000) MB"
    }

    /// Why a reference names no single snapshot.
    public struct Unknown: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The snapshot a reference names: a revision (`r3`) or a unique prefix of a hash (4 characters at least).
    public static func snapshot(_ reference: String, store: Store) throws -> Snapshot {
        let hash: String
        if reference.hasPrefix("r"), let number = Int64(reference.dropFirst()) {
            guard let revision = try store.revision(id: number) else {
                throw Unknown(description: "no revision \(reference)")
            }
            hash = revision.snapshotHash
        } else {
            let matches = try store.snapshotHashes(prefix: reference)
            guard reference.count >= 4, !matches.isEmpty else {
                throw Unknown(
                    description:
                        "no snapshot \(reference) (give at least 4 characters of a hash, or a revision like r3)")
            }
            guard matches.count == 1 else {
                throw Unknown(
                    description: "\(reference) is ambiguous: "
                        + matches.map { String($0.prefix(16)) }.joined(separator: ", "))
            }
            hash = matches[0]
        }
        guard let snapshot = try store.snapshot(hash: hash) else { throw Unknown(description: "no snapshot \(hash)") }
        return snapshot
    }
}
