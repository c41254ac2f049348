import DirectusSchema

/// What `/server/info` tells an authenticated user.
public struct ServerInfo: Sendable, Equatable {
    /// The Directus version (`nil` when the instance does not say: before 10.8.3, or without authentication).
    public var version: String?
    public var projectName: String?
    /// Whether setup is complete (11.13+ reports it).
    public var setupCompleted: Bool?

    init(json: JSONValue) {
        let data = json["data"]
        version = data?["version"]?.stringValue
        projectName = data?["project"]?["project_name"]?.stringValue
        setupCompleted = data?["setupCompleted"]?.boolValue
    }
}

/// `/server/health`: `ok`, `warn` or `error` (the latter answered with 503).
public struct HealthReport: Sendable, Equatable {
    public var status: String
    public init(status: String) { self.status = status }
    public var isHealthy: Bool { status != "error" }
}

/// What `POST /schema/diff` answered.
public enum DiffResult: Sendable, Equatable {
    /// 204: the target already has this schema.
    case inSync
    /// 200: the changes, with the hash of the target's current schema.
    case changes(PendingDiff)
}

/// A diff as Directus returned it, ready to send back to `/schema/apply`.
public struct PendingDiff: Sendable, Equatable {
    /// Directus's hash of the target's schema when the diff was made (opaque; pass it back unchanged).
    public var hash: String
    /// The diff, parsed.
    public var diff: SnapshotDiff
    /// The diff exactly as Directus sent it.
    public var raw: JSONValue
    /// The mode Directus computed it in (`merge` only when asked for and the instance reads `mode`: 12.2+).
    public var mode: DiffMode

    public init(hash: String, diff: SnapshotDiff, raw: JSONValue, mode: DiffMode = .mirror) {
        self.hash = hash
        self.diff = diff
        self.raw = raw
        self.mode = mode
    }

    /// The body `/schema/apply` expects: `{hash, diff}`.
    public var applyBody: JSONValue { ["hash": .string(hash), "diff": raw] }
}

/// What one `GET /schema/snapshot` found (`DirectusClient.snapshot(unlessBodyHash:)`).
public enum SnapshotPoll: Sendable {
    /// The body was byte for byte the known one: the schema is unchanged, and nothing was parsed.
    case unchanged(bodyHash: String, bytes: Int)
    /// A body not seen last time, read as a document (not parsed into a tree).
    case document(SnapshotDocument, bodyHash: String, bytes: Int)

    /// The size of the body as Directus sent it.
    public var bytes: Int {
        switch self {
        case .unchanged(_, let bytes), .document(_, _, let bytes): bytes
        }
    }
}
