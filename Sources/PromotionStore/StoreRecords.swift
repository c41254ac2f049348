import Foundation
import GRDB
import PromotionCore

/// A promotion as stored: one revision carried to one target. Its state is the machine's type from the row on: a
/// row whose state is not one of them is reported as a damaged database, never read as something else.
public struct PromotionRecord: Sendable, Equatable, Identifiable, Codable {
    public var id: Int64
    public var revisionID: Int64
    public var target: String
    public var state: PromotionStateMachine.State
    public var attempts: Int
    public var diffID: Int64?
    public var preApplySnapshotHash: String?
    /// The target's configuration before the apply (canonical), when the pipeline promotes configuration.
    public var preApplyConfigHash: String?
    /// The target's reference data before the apply (canonical), when the pipeline promotes some.
    public var preApplyContentHash: String?
    public var lastError: String?
    /// The state machine's memory, as JSON (see `PromotionStateMachine.Memory`).
    public var machine: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, target, state, attempts, machine
        case revisionID = "revision_id"
        case diffID = "diff_id"
        case preApplySnapshotHash = "pre_apply_snapshot_hash"
        case preApplyConfigHash = "pre_apply_config_hash"
        case preApplyContentHash = "pre_apply_content_hash"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// The columns, for queries (as GRDB's records name them).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let revisionID = Column(CodingKeys.revisionID)
        public static let target = Column(CodingKeys.target)
        public static let state = Column(CodingKeys.state)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}

extension PromotionRecord: FetchableRecord, TableRecord {
    public static let databaseTableName = "promotion"
    /// Times are stored as seconds since 1970.
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }
}

/// One entry of the audit log.
public struct EventRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var at: Date
    /// `daemon`, or the Unix user that ran a CLI command.
    public var actor: String
    public var kind: String
    public var environment: String?
    public var promotionID: Int64?
    public var message: String
    /// Extra structured details (JSON text).
    public var details: String?
}

/// A manual decision about a promotion.
public struct DecisionRecord: Sendable, Equatable, Identifiable {
    public typealias Kind = PromotionDecision

    public var id: Int64
    public var promotionID: Int64
    public var kind: Kind
    public var actor: String
    public var comment: String?
    public var allowDestructive: Bool
    /// The approver accepted the plan's predicted apply failure (`approve --despite-warnings`).
    public var despiteWarnings: Bool = false
    public var decidedAt: Date
    public var consumedAt: Date?
}

/// A stored diff and its classification.
public struct StoredDiff: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var revisionID: Int64
    public var target: String
    public var directusHash: String
    public var targetSnapshotHash: String
    public var creates: Int
    public var updates: Int
    public var deletes: Int
    public var destructive: Int
    /// What the diff would do (`DiffContentKey`); nil for diffs recorded before it existed.
    public var contentKey: String?
    public var computedAt: Date
}

/// A revision: a new schema seen on the source environment.
public struct RevisionRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var environment: String
    public var snapshotHash: String
    public var detectedAt: Date
    /// The source's configuration with this schema (nil: the pipeline promotes the schema alone).
    public var configHash: String? = nil
    /// The source's reference data with this schema (nil: the pipeline promotes none).
    public var contentHash: String? = nil
}

/// What recording a poll found.
public struct ObservationResult: Sendable, Equatable {
    /// The snapshot's content hash (nil for a failed poll).
    public var snapshotHash: String?
    /// The snapshot was not stored before.
    public var isNewSnapshot: Bool
    /// The environment's schema differs from its previous successful observation.
    public var changed: Bool
}

/// An environment as last seen.
public struct EnvironmentRecord: Sendable, Equatable {
    public var name: String
    public var url: String
    public var directusVersion: String?
    public var vendor: String?
    public var lastSeenAt: Date?
}

/// Why a store operation failed.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A conditional write found another state than expected (someone else moved the promotion).
    case stateChanged(promotion: Int64, expected: PromotionState, found: PromotionState)
    case notFound(String)
    case corrupt(String)
    case database(String)

    /// Whether the database file itself is damaged.
    public var isCorruption: Bool {
        if case .corrupt = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .stateChanged(let promotion, let expected, let found):
            "promotion \(promotion) is \(found.words), not \(expected.words): someone else changed it"
        case .notFound(let what): "\(what) not found"
        case .corrupt(let what): "the state database is damaged: \(what)"
        case .database(let message): "state database error: \(message)"
        }
    }
}

/// One poll of an environment.
public struct ObservationRecord: Sendable, Equatable {
    public var environment: String
    public var observedAt: Date
    public var snapshotHash: String?
    public var error: String?
}

/// A snapshot as seen on an environment.
public struct SnapshotSighting: Sendable, Equatable {
    public var environment: String
    public var hash: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var times: Int
    public var directusVersion: String?
    public var size: Int
}
