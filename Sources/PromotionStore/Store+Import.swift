import DirectusSchema
import Foundation
import GRDB
import PromotionCore

/// Finished promotions and their audit trail, written in one transaction: to import history kept elsewhere
/// (a previous tool, another state file) and to seed benchmarks with realistic volumes.
public struct HistoryImport: Sendable {
    public struct Promotion: Sendable {
        public var target: String
        public var state: PromotionState
        public var attempts: Int
        public var createdAt: Date
        public var updatedAt: Date
        public var events: [(kind: String, actor: String, message: String, at: Date)]

        public init(
            target: String, state: PromotionState, attempts: Int, createdAt: Date, updatedAt: Date,
            events: [(kind: String, actor: String, message: String, at: Date)]
        ) {
            self.target = target
            self.state = state
            self.attempts = attempts
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.events = events
        }
    }

    /// The source environment and the snapshot every imported revision points to.
    public var sourceEnvironment: String
    public var snapshotHash: String
    public var promotions: [Promotion]

    public init(sourceEnvironment: String, snapshotHash: String, promotions: [Promotion]) {
        self.sourceEnvironment = sourceEnvironment
        self.snapshotHash = snapshotHash
        self.promotions = promotions
    }
}

extension Store {
    /// Writes an imported history in one transaction: a revision per promotion, the promotion, its events.
    public func importHistory(_ history: HistoryImport) throws(StoreError) {
        try write { db in
            let revision = try db.makeStatement(
                sql: "INSERT INTO revision (environment, snapshot_hash, detected_at) VALUES (?, ?, ?)")
            let promotion = try db.makeStatement(
                sql: """
                    INSERT INTO promotion (revision_id, target, state, attempts, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            let event = try db.makeStatement(
                sql: "INSERT INTO event (at, actor, kind, environment, promotion_id, message) VALUES (?, ?, ?, ?, ?, ?)"
            )
            for item in history.promotions {
                try revision.execute(arguments: [
                    history.sourceEnvironment, history.snapshotHash, Self.seconds(item.createdAt),
                ])
                let revisionID = db.lastInsertedRowID
                try promotion.execute(arguments: [
                    revisionID, item.target, item.state.rawValue, item.attempts, Self.seconds(item.createdAt),
                    Self.seconds(item.updatedAt),
                ])
                let promotionID = db.lastInsertedRowID
                for entry in item.events {
                    try event.execute(arguments: [
                        Self.seconds(entry.at), entry.actor, entry.kind, item.target, promotionID, entry.message,
                    ])
                }
            }
        }
    }
}
