import DirectusSchema

extension ConfigurationSnapshot {
    /// What history stores: the canonical entities (what `contentHash` covers) and, beside them, what planning needs
    /// and the hash leaves out: each record's id on the instance it was read from (the UUID a create sends), the
    /// kinds covered, whether the read was complete, the ambiguous keys and what was skipped.
    public var storedJSON: [UInt8] {
        var entries = JSONObject()
        var ids = JSONObject()
        for key in entities.keys.sorted(by: jsStringLess) {
            entries[key] = entities[key]!.fields
            if let id = entities[key]!.sourceID { ids[key] = .string(id) }
        }
        var root = JSONObject()
        root["format"] = 1
        root["entities"] = .object(entries)
        root["ids"] = .object(ids)
        root["kinds"] = .array(kinds.sorted().map { .string($0.rawValue) })
        root["incomplete"] = .bool(incomplete)
        root["incomplete_kinds"] = .array(incompleteKinds.sorted().map { .string($0.rawValue) })
        root["ambiguous"] = .object(
            JSONObject(ambiguous.sorted { $0.key < $1.key }.map { ($0.key, .number(JSONNumber($0.value))) }))
        root["unresolved"] = .array(unresolved.map(JSONValue.string))
        root["skipped"] = .object(
            JSONObject(skipped.sorted { $0.key < $1.key }.map { ($0.key, .number(JSONNumber($0.value))) }))
        return JSONWriter.canonical.bytes(.object(root))
    }

    /// Why a stored configuration cannot be read back.
    public struct StoredFormError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `storedJSON` back.
    public init(stored bytes: [UInt8]) throws(StoredFormError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw StoredFormError(description: "a stored configuration is not JSON: \(error)")
        }
        guard root["format"]?.numberValue?.intValue == 1, let entries = root["entities"]?.objectValue else {
            throw StoredFormError(description: "a stored configuration has an unknown format")
        }
        let ids = root["ids"]?.objectValue ?? JSONObject()
        var entities: [String: ConfigEntity] = [:]
        for (key, fields) in entries {
            guard let kind = ConfigKind.of(key: key) else {
                throw StoredFormError(description: "a stored configuration has the unknown key \(key)")
            }
            entities[key] = ConfigEntity(kind: kind, key: key, sourceID: ids[key]?.stringValue, fields: fields)
        }
        func counts(_ name: String) -> [String: Int] {
            var out: [String: Int] = [:]
            for (key, value) in root[name]?.objectValue ?? JSONObject() {
                out[key] = value.numberValue?.intValue ?? 0
            }
            return out
        }
        self.init(
            entities: entities, ambiguous: counts("ambiguous"),
            unresolved: (root["unresolved"]?.arrayValue ?? []).compactMap(\.stringValue),
            kinds: Set(
                (root["kinds"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { ConfigKind(rawValue: $0) } }),
            incomplete: root["incomplete"] == .bool(true), skipped: counts("skipped"))
        incompleteKinds = Set(
            (root["incomplete_kinds"]?.arrayValue ?? []).compactMap {
                $0.stringValue.flatMap { ConfigKind(rawValue: $0) }
            })
    }

    /// The same configuration restricted to `kinds` (what a pipeline promotes).
    public func restricted(to kinds: Set<ConfigKind>) -> ConfigurationSnapshot {
        var copy = self
        copy.entities = entities.filter { kinds.contains($0.value.kind) }
        copy.kinds = self.kinds.intersection(kinds)
        copy.ambiguous = ambiguous.filter { entry in ConfigKind.of(key: entry.key).map(kinds.contains) ?? false }
        return copy
    }
}

extension ConfigKind {
    /// The kind a logical key names (`role:Editor` → role, `settings` → settings).
    public static func of(key: String) -> ConfigKind? {
        if key == "settings" { return .settings }
        guard let colon = key.firstIndex(of: ":") else { return nil }
        return ConfigKind(rawValue: String(key[..<colon]))
    }
}

/// Which records of the target are which records of the source before natural keys are tried (CONFIG-SPEC 5.3):
/// the persisted mapping first (a mapping whose target record is gone is dropped), then the same UUID.
public enum ConfigIdentityResolver {
    public struct Resolution: Sendable {
        /// Per kind, target id → the logical key it takes (`ConfigNormalizer.snapshot(of:pinned:)`).
        public var pins: [ConfigKind: [String: String]] = [:]
        /// Mappings whose target record no longer exists: to forget.
        public var vanished: [(kind: ConfigKind, targetID: String)] = []
    }

    /// `mapping`: per kind, source id → target id.
    public static func resolve(
        desired: ConfigurationSnapshot, target: ConfigExport, mapping: [ConfigKind: [String: String]]
    ) -> Resolution {
        var resolution = Resolution()
        var present: [ConfigKind: Set<String>] = [:]
        for (kind, rows) in target.rows {
            present[kind] = Set(rows.compactMap { $0["id"].flatMap { $0.stringValue ?? $0.jsonString } })
        }
        var used: [ConfigKind: Set<String>] = [:]
        for (kind, map) in mapping {
            for (_, targetID) in map where !(present[kind]?.contains(targetID) ?? false) {
                resolution.vanished.append((kind, targetID))
            }
        }
        for key in desired.entities.keys.sorted() {
            let entity = desired.entities[key]!
            guard let sourceID = entity.sourceID, entity.kind != .settings else { continue }
            var targetID: String?
            if let mapped = mapping[entity.kind]?[sourceID], present[entity.kind]?.contains(mapped) == true {
                targetID = mapped
            } else if !entity.kind.hasIntegerKey, present[entity.kind]?.contains(sourceID) == true {
                targetID = sourceID
            }
            guard let targetID, used[entity.kind, default: []].insert(targetID).inserted else { continue }
            resolution.pins[entity.kind, default: [:]][targetID] = key
        }
        return resolution
    }
}

/// What an instance's release and licence say about the completeness of its configuration read.
public enum ConfigLicence {
    /// An unlicensed 12.x instance hides stored permissions that use filters, field restrictions, validation or
    /// presets (CONFIG-SPEC section 8): its permissions are incomplete. A 12.x instance counts as licensed when its
    /// settings hold a licence key or token (masked or not).
    public static func incompleteKinds(version: DirectusVersion?, settings: JSONObject?) -> Set<ConfigKind> {
        guard let version, version >= DirectusVersion(12, 0, 0) else { return [] }
        let licensed = ["license_key", "license_token"].contains { field in
            guard let value = settings?[field] else { return false }
            return value != .null && value != .string("")
        }
        return licensed ? [] : [.permission]
    }
}
