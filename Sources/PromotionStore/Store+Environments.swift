import DirectusSchema
import Foundation
import GRDB

/// The `environment` table: each instance as last seen.
extension Store {
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
}
