import Crypto
import DirectusSchema

/// One configuration record in canonical form: named by a logical key that is the same on every instance
/// (`role:Editor`, `permission:policy:Editor/articles/read`), its instance-specific fields gone, its references
/// written as the logical keys of what they point at (CONFIG-SPEC section 9).
public struct ConfigEntity: Sendable, Hashable {
    public var kind: ConfigKind
    /// The logical key; `#n` is appended to each of several records with the same key (see `ambiguous`).
    public var key: String
    /// The record's id in the export it was read from (a database id, or a `_syncId`), kept for mapping.
    public var sourceID: String?
    /// The comparable fields, keys sorted.
    public var fields: JSONValue
}

/// The configuration of an instance (or an export of one) in canonical form: order-independent, without ids,
/// timestamps, user references, project identity or masked secrets, so that two instances with the same
/// configuration have the same `contentHash`.
public struct ConfigurationSnapshot: Sendable {
    /// By logical key.
    public var entities: [String: ConfigEntity]
    /// Logical keys that several records share (`role:Editor` twice), with how many: a person must say which is
    /// which before any of them is promoted.
    public var ambiguous: [String: Int]
    /// References to records the export does not hold, in words.
    public var unresolved: [String]
    /// The kinds the export covers (a kind it does not cover is not "empty": nothing is inferred about it).
    public var kinds: Set<ConfigKind>
    /// The export may lack records: deletions are never inferred from it.
    public var incomplete: Bool
    /// Records left out on purpose, by reason (`user-bound access`), with how many.
    public var skipped: [String: Int]
    /// Kinds the read may lack records of although it was not cut short (an unlicensed 12.x instance hides
    /// custom-shaped permissions): deletions of them are never inferred.
    public var incompleteKinds: Set<ConfigKind> = []

    public init(
        entities: [String: ConfigEntity], ambiguous: [String: Int] = [:], unresolved: [String] = [],
        kinds: Set<ConfigKind>, incomplete: Bool = false, skipped: [String: Int] = [:]
    ) {
        self.entities = entities
        self.ambiguous = ambiguous
        self.unresolved = unresolved
        self.kinds = kinds
        self.incomplete = incomplete
        self.skipped = skipped
    }

    /// `{"format":1,"entities":{key: fields}}`, keys sorted, compact: what is hashed and stored.
    public var canonicalJSON: [UInt8] {
        var entries = JSONObject()
        for key in entities.keys.sorted(by: jsStringLess) { entries[key] = entities[key]!.fields }
        var root = JSONObject()
        root["format"] = 1
        root["entities"] = .object(entries)
        return JSONWriter.canonical.bytes(.object(root))
    }

    /// SHA-256 of `canonicalJSON`, in hex.
    public var contentHash: String {
        SHA256.hash(data: canonicalJSON).map { hex in
            let text = String(hex, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    /// The entities of one kind, by key order.
    public func entities(of kind: ConfigKind) -> [ConfigEntity] {
        entities.values.filter { $0.kind == kind }.sorted { jsStringLess($0.key, $1.key) }
    }
}
