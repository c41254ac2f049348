import DirectusSchema

/// One reference-data collection that travels with the schema (`content:` of a pipeline): which collection, what
/// identifies a row on every instance, and what the promotion may do to the target's rows.
public struct ContentRule: Sendable, Hashable {
    /// What a promotion may do to the target's rows of the collection.
    public enum Policy: String, Sendable, Hashable, CaseIterable {
        /// Rows the source has are created or updated; rows only the target has are left alone.
        case upsert
        /// Rows the source has that the target lacks are created; nothing else is touched.
        case insertOnly = "insert-only"
        /// The target's rows become the source's: rows only the target has are deleted (destructive, gated like a
        /// destructive schema change).
        case mirror
    }

    public var collection: String
    /// The fields that identify a row on every instance (`[code]`); empty: the primary key, which is then the same
    /// on every instance.
    public var identity: [String]
    public var policy: Policy
    /// Fields never compared nor sent, besides those always left out (see `ContentSchema`).
    public var ignoreFields: [String]

    public init(collection: String, identity: [String] = [], policy: Policy = .upsert, ignoreFields: [String] = []) {
        self.collection = collection
        self.identity = identity
        self.policy = policy
        self.ignoreFields = ignoreFields
    }
}

/// How much reference data a pipeline carries: this is not a data-migration tool, and a collection over a limit is
/// refused with a message saying which limit and by how much, never cut short.
public struct ContentLimits: Sendable, Hashable {
    /// Rows per collection.
    public var maxRows: Int
    /// Bytes of a collection's rows in canonical JSON.
    public var maxBytes: Int

    public static let defaultMaxRows = 10_000
    public static let defaultMaxBytes = 8 * 1024 * 1024

    public init(maxRows: Int = ContentLimits.defaultMaxRows, maxBytes: Int = ContentLimits.defaultMaxBytes) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
    }
}

/// Why reference data cannot be read, planned or promoted as configured.
public struct ContentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var collection: String
    public var reason: String
    public var description: String { "content \(collection): \(reason)" }

    public init(collection: String, reason: String) {
        self.collection = collection
        self.reason = reason
    }
}
