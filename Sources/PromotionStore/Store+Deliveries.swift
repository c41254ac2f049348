import Foundation
import GRDB

/// A webhook notification waiting, delivered or given up.
public struct DeliveryRecord: Sendable, Equatable, Identifiable {
    public enum Status: String, Sendable {
        case pending, delivered, failed
    }

    public var id: Int64
    public var webhook: String
    public var eventID: Int64
    /// The notification's kind (`approval_needed`, `applied`, …).
    public var kind: String
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
}

extension Store {
    /// Queues a delivery for every event after the webhook's cursor that `kindFor` maps to a notification kind, and
    /// moves the cursor, in one transaction. A webhook seen for the first time starts at the newest event (no
    /// replay of old history). Each (webhook, event) is queued at most once.
    @discardableResult
    public func enqueueDeliveries(
        webhook: String, at: Date, kindFor: (EventRecord) -> String?
    ) throws(StoreError) -> Int {
        try write { db in
            let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
            guard
                let cursor = try Int64.fetchOne(
                    db, sql: "SELECT last_event_id FROM webhook_cursor WHERE webhook = ?", arguments: [webhook])
            else {
                try db.execute(
                    sql: "INSERT INTO webhook_cursor (webhook, last_event_id) VALUES (?, ?)",
                    arguments: [webhook, newest])
                return 0
            }
            let events = try Row.fetchAll(
                db, sql: "SELECT * FROM event WHERE id > ? ORDER BY id", arguments: [cursor]
            ).map(Self.event)
            var queued = 0
            for event in events {
                guard let kind = kindFor(event) else { continue }
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO delivery (webhook, event_id, kind, status, attempts, next_attempt_at,
                            created_at)
                        VALUES (?, ?, ?, 'pending', 0, ?, ?)
                        """, arguments: [webhook, event.id, kind, Self.seconds(at), Self.seconds(at)])
                queued += db.changesCount
            }
            try db.execute(
                sql: "UPDATE webhook_cursor SET last_event_id = ? WHERE webhook = ?",
                arguments: [events.last?.id ?? cursor, webhook])
            return queued
        }
    }

    /// Pending deliveries due at `at`, oldest first.
    public func dueDeliveries(at: Date, limit: Int = 50) throws(StoreError) -> [(DeliveryRecord, EventRecord)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.*, e.id AS e_id, e.at AS e_at, e.actor AS e_actor, e.kind AS e_kind,
                        e.environment AS e_environment, e.promotion_id AS e_promotion_id, e.message AS e_message,
                        e.details AS e_details
                    FROM delivery d JOIN event e ON e.id = d.event_id
                    WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.id LIMIT ?
                    """, arguments: [Self.seconds(at), limit]
            ).map { row in
                (
                    try Self.delivery(row),
                    EventRecord(
                        id: row["e_id"], at: Self.date(row["e_at"]), actor: row["e_actor"], kind: row["e_kind"],
                        environment: row["e_environment"], promotionID: row["e_promotion_id"],
                        message: row["e_message"], details: row["e_details"])
                )
            }
        }
    }

    /// Records one delivery attempt: delivered, or failed with the next attempt's time (nil: give up).
    public func recordDeliveryAttempt(
        id: Int64, delivered: Bool, error: String?, nextAttempt: Date?, at: Date
    ) throws(StoreError) {
        try write { db in
            let status = delivered ? "delivered" : (nextAttempt == nil ? "failed" : "pending")
            try db.execute(
                sql: """
                    UPDATE delivery SET status = ?, attempts = attempts + 1, last_error = ?,
                        next_attempt_at = coalesce(?, next_attempt_at), delivered_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    status, error.map(Self.redacted), nextAttempt.map(Self.seconds), delivered ? Self.seconds(at) : nil,
                    id,
                ])
        }
    }

    public func deliveries(
        webhook: String? = nil, status: DeliveryRecord.Status? = nil, limit: Int = 100
    )
        throws(StoreError) -> [DeliveryRecord]
    {
        try read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let webhook {
                conditions.append("webhook = ?")
                arguments.append(webhook)
            }
            if let status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            arguments.append(limit)
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM delivery \(filter) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).map(Self.delivery)
        }
    }

    public func deliveryCounts() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM delivery GROUP BY status") {
                counts[row["status"]] = row["n"]
            }
            return counts
        }
    }

    static func delivery(_ row: Row) throws -> DeliveryRecord {
        let status: String = row["status"]
        guard let known = DeliveryRecord.Status(rawValue: status) else {
            throw StoreError.corrupt("delivery \(row["id"] as Int64) has the unknown status \"\(status)\"")
        }
        return DeliveryRecord(
            id: row["id"], webhook: row["webhook"], eventID: row["event_id"], kind: row["kind"],
            status: known, attempts: row["attempts"],
            nextAttemptAt: date(row["next_attempt_at"]), lastError: row["last_error"],
            createdAt: date(row["created_at"]), deliveredAt: (row["delivered_at"] as Double?).map(date))
    }
}
