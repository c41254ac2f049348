import DirectusConfig
import DirectusSchema
import Foundation
import GRDB

/// The configuration an environment is expected to have, and why.
public struct ConfigExpectationRecord: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case firstSeen = "first_seen", verified, accepted
        case rolledBack = "rolled_back"
    }

    public var environment: String
    public var configHash: String
    public var reason: Reason
    public var since: Date
}

/// One entry of the identity mapping: a record of the target that is a record of the source.
public struct ConfigIdentity: Sendable, Equatable {
    public enum Origin: String, Sendable {
        /// The daemon created it from the source's record.
        case created
        /// A person said so (`config match`).
        case confirmed
    }

    public var kind: ConfigKind
    public var sourceID: String
    public var targetID: String
    public var origin: Origin
    public var recordedAt: Date
}

/// Configurations in history, the identity mapping, and configuration drift.
extension Store {
    // MARK: Configurations

    /// Stores a configuration (once, however often seen); returns its content hash.
    @discardableResult
    public func storeConfiguration(_ configuration: ConfigurationSnapshot, at: Date) throws(StoreError) -> String {
        let hash = configuration.contentHash
        let bytes = configuration.storedJSON
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM config_snapshot WHERE hash = ?", arguments: [hash]) == true {
                return hash
            }
            let compressed = try SnapshotCodec.compress(bytes)
            try db.execute(
                sql: """
                    INSERT INTO config_snapshot (hash, size, codec, content, first_seen_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [hash, bytes.count, SnapshotCodec.name, Data(compressed), Self.seconds(at)])
            return hash
        }
    }

    /// A stored configuration, checked against its hash.
    public func configuration(hash: String) throws(StoreError) -> ConfigurationSnapshot? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT size, content FROM config_snapshot WHERE hash = ?", arguments: [hash])
            else { return nil }
            let content: Data = row["content"]
            let bytes = try SnapshotCodec.decompress(Array(content), size: row["size"])
            let configuration = try ConfigurationSnapshot(stored: bytes)
            guard configuration.contentHash == hash else {
                throw StoreError.corrupt("the stored configuration \(hash.prefix(12)) does not match its hash")
            }
            return configuration
        }
    }

    /// The hashes of stored configurations that start with `prefix`.
    public func configurationHashes(prefix: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT hash FROM config_snapshot WHERE substr(hash, 1, ?) = ? ORDER BY hash LIMIT 10",
                arguments: [prefix.count, prefix])
        }
    }

    // MARK: Identity

    /// The mapping of one source and target, per kind: source id → (target id, origin).
    public func identities(source: String, target: String) throws(StoreError) -> [ConfigIdentity] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM config_identity WHERE source = ? AND target = ? ORDER BY kind, source_id",
                arguments: [source, target]
            ).compactMap { row -> ConfigIdentity? in
                guard let kind = ConfigKind(rawValue: row["kind"]),
                    let origin = ConfigIdentity.Origin(rawValue: row["origin"])
                else { return nil }
                return ConfigIdentity(
                    kind: kind, sourceID: row["source_id"], targetID: row["target_id"], origin: origin,
                    recordedAt: Self.date(row["recorded_at"]))
            }
        }
    }

    /// Records that `targetID` on `target` is `sourceID` of `source` (replacing what either was mapped to), with an
    /// audit event when a person says so.
    public func recordIdentity(
        source: String, target: String, kind: ConfigKind, sourceID: String, targetID: String,
        origin: ConfigIdentity.Origin, actor: String, message: String?, at: Date
    ) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    DELETE FROM config_identity WHERE source = ? AND target = ? AND kind = ?
                        AND (source_id = ? OR target_id = ?)
                    """, arguments: [source, target, kind.rawValue, sourceID, targetID])
            try db.execute(
                sql: """
                    INSERT INTO config_identity (source, target, kind, source_id, target_id, origin, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [source, target, kind.rawValue, sourceID, targetID, origin.rawValue, Self.seconds(at)])
            if let message {
                try Self.insertEvent(
                    db, at: at, actor: actor, kind: "config.identity", environment: target, promotionID: nil,
                    message: message, details: nil)
            }
        }
    }

    /// Forgets mappings whose target record has vanished.
    public func forgetIdentities(
        source: String, target: String, kind: ConfigKind, targetIDs: [String]
    ) throws(StoreError) {
        guard !targetIDs.isEmpty else { return }
        try write { db in
            for id in targetIDs {
                try db.execute(
                    sql: "DELETE FROM config_identity WHERE source = ? AND target = ? AND kind = ? AND target_id = ?",
                    arguments: [source, target, kind.rawValue, id])
            }
        }
    }

    // MARK: Expectations and drift

    public func configExpectation(environment: String) throws(StoreError) -> ConfigExpectationRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM config_expectation WHERE environment = ?", arguments: [environment]
            ).map { row in
                let reason: String = row["reason"]
                guard let known = ConfigExpectationRecord.Reason(rawValue: reason) else {
                    throw StoreError.corrupt("the configuration expectation of \(environment) has reason \(reason)")
                }
                return ConfigExpectationRecord(
                    environment: row["environment"], configHash: row["config_hash"], reason: known,
                    since: Self.date(row["since"]))
            }
        }
    }

    /// Sets the configuration `environment` is expected to have (clearing a drift recorded against the old one).
    public func setConfigExpectation(
        environment: String, configHash: String, reason: ConfigExpectationRecord.Reason, actor: String,
        message: String?, at: Date
    ) throws(StoreError) {
        try changeExpectation(
            of: .configuration, environment: environment, hash: configHash, reason: reason.rawValue,
            eventKind: "config.expectation.\(reason.rawValue)", actor: actor, message: message, at: at)
    }

    public func configDrifts() throws(StoreError) -> [DriftRecord] { try drifts(of: .configuration) }

    public func configDrift(environment: String) throws(StoreError) -> DriftRecord? {
        try drift(of: .configuration, environment: environment)
    }

    /// Records a configuration drift; true (with a `drift.detected` event) only for a configuration not already
    /// recorded as the drift: one event per distinct drift.
    @discardableResult
    public func recordConfigDrift(
        environment: String, observedHash: String, expectedHash: String, summary: String, details: String?, at: Date
    ) throws(StoreError) -> Bool {
        try recordDrift(
            of: .configuration, environment: environment, observedHash: observedHash, expectedHash: expectedHash,
            summary: summary, details: details, at: at)
    }

    /// Clears the configuration drift of an environment back to its expectation (`drift.resolved`).
    public func resolveConfigDrift(environment: String, message: String, at: Date) throws(StoreError) {
        try resolveDrift(of: .configuration, environment: environment, message: message, at: at)
    }

    /// A person adopts the drifted configuration as the expectation (`drift accept`).
    public func acceptConfigDrift(
        environment: String, actor: String, comment: String?, at: Date
    ) throws(StoreError) -> DriftRecord {
        try acceptDrift(of: .configuration, environment: environment, actor: actor, comment: comment, at: at)
    }
}
