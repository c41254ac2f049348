/// The part of a schema a snapshot covers: Directus 12.2's `GET /schema/snapshot?includeCollections=…` or
/// `?excludeCollections=…` (SPEC-12 section 2).
public enum SnapshotScope: Sendable, Hashable {
    /// The whole schema: a `version: 1` snapshot.
    case all
    /// Only these collections (names Directus does not know are ignored): a `version: 2` snapshot.
    case include([String])
    /// Every collection but these: a `version: 2` snapshot.
    case exclude([String])

    /// Both parameters were given.
    public struct Conflict: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String {
            "\"includeCollections\" and \"excludeCollections\" parameters cannot be used together"
        }
    }

    /// The scope of a request's query: each parameter a comma-separated string or repeated (`toArray`).
    public init(includeCollections: [String]?, excludeCollections: [String]?) throws(Conflict) {
        func names(_ values: [String]) -> [String] {
            values.count == 1
                ? values[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : values
        }
        switch (includeCollections, excludeCollections) {
        case (nil, nil): self = .all
        case (let include?, nil): self = .include(names(include))
        case (nil, let exclude?): self = .exclude(names(exclude))
        case (.some, .some): throw Conflict()
        }
    }

    /// Whether the snapshot is partial (`version: 2`).
    public var isPartial: Bool { self != .all }

    /// Whether an entity of `collection` is in scope. Directus resolves the scope against every collection it
    /// knows (system collections and folders included) and an entity's own collection is always one of them, so
    /// this is membership in the list.
    public func contains(_ collection: String) -> Bool {
        switch self {
        case .all: true
        case .include(let names): names.contains(collection)
        case .exclude(let names): !names.contains(collection)
        }
    }

    /// The query parameter Directus reads (`includeCollections` = `a,b`); none for `.all`.
    public var queryItems: [(name: String, value: String)] {
        switch self {
        case .all: []
        case .include(let names): [("includeCollections", names.joined(separator: ","))]
        case .exclude(let names): [("excludeCollections", names.joined(separator: ","))]
        }
    }
}

/// The snapshot Directus 12.2+ reports for a scope (`get-snapshot.ts`): the entities whose own `collection` is in
/// scope, sanitised as every snapshot is, in the full snapshot's order.
///
/// - A relation belongs to its many side (`relation.collection`): one from an in-scope collection to an
///   out-of-scope one is kept; one owned by an out-of-scope collection is dropped even when it points into scope.
/// - Entities with `meta: null` (untracked tables and columns) or `meta.system: true` are never in a partial.
/// - Related collections are not added.
/// - The header keeps the full snapshot's `directus` and `vendor`; `systemFields` is always present.
public enum PartialSnapshot {
    public static func of(_ full: Snapshot, scope: SnapshotScope) -> Snapshot {
        var root = JSONObject()
        root["version"] = scope.isPartial ? 2 : 1
        if let directus = full.root["directus"] { root["directus"] = directus }
        if let vendor = full.root["vendor"] { root["vendor"] = vendor }
        func inScope(_ entity: JSONValue, tracked: Bool) -> Bool {
            guard scope.isPartial else { return true }
            if tracked {
                if case .null? = entity["meta"] { return false }
                if entity["meta"]?["system"] == .bool(true) { return false }
            }
            guard let collection = entity["collection"]?.stringValue else { return false }
            return scope.contains(collection)
        }
        root["collections"] = .array(full.collections.filter { inScope($0, tracked: true) }.map(Sanitizer.collection))
        root["fields"] = .array(full.fields.filter { inScope($0, tracked: true) }.map { Sanitizer.field($0) })
        root["systemFields"] = .array(
            full.systemFields.filter { inScope($0, tracked: false) }.map(Sanitizer.systemField))
        root["relations"] = .array(full.relations.filter { inScope($0, tracked: true) }.map(Sanitizer.relation))
        return Snapshot(root: root)
    }

    /// Whether an uploaded snapshot is read as partial: `version` is the number 2 (`===`; a string `"2"` passes
    /// validation but is diffed as a full snapshot).
    public static func isPartial(_ upload: Snapshot) -> Bool {
        if case .number(let number)? = upload.root["version"] { return number.doubleValue == 2 }
        return false
    }

    /// A partial snapshot relabelled as full (`version: 1`), for a target that reads no partials or for a diff
    /// that must see everything the snapshot leaves out as gone.
    public static func asFull(_ snapshot: Snapshot) -> Snapshot {
        guard isPartial(snapshot) else { return snapshot }
        var full = snapshot
        full.root["version"] = 1
        return full
    }
}
