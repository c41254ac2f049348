import DirectusSchema

/// Turns an export into its canonical `ConfigurationSnapshot` (CONFIG-SPEC sections 3 and 9).
///
/// - Each record gets a logical key built from natural keys, parents first: `folder:/a/b`, `role:<name>`,
///   `policy:<name>` (`policy:@public` for the built-in public policy, `policy:@admin` for the one admin policy),
///   `access:<role key|@public>→<policy key>`, `permission:<policy key>/<collection>/<action>` (up to 10.x
///   `permission:<role key|@public>/…`), `translation:<language>/<key>`, `flow:<uuid>` (flow ids are kept across
///   instances), `operation:<flow key>/<key>`, `dashboard:<name>`, `panel:<uuid>`,
///   `preset:<collection>/<bookmark|~>/<role key|*>`, `settings`.
/// - Alias fields, audit fields (`date_created`, `user_created`), ids and instance fields are dropped; every
///   reference is replaced by the logical key it points at; csv columns become arrays (`fields` as a set); a masked
///   secret (`**********`) is never kept.
/// - Records bound to a user (access rows, presets) and the synthetic app-access permissions are left out.
public enum ConfigNormalizer {
    /// Directus's mask for secrets read over REST: never compared, never written back.
    public static let mask = "**********"
    /// The public policy every 11.x instance is created with (migration `20240806A`).
    public static let publicPolicyID = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"

    /// Fields that are never configuration, whatever the collection.
    static let auditFields: Set<String> = [
        "id", "_syncId", "date_created", "user_created", "date_updated", "user_updated",
    ]

    /// Alias and instance fields per kind (CONFIG-SPEC section 3: kinds A and X).
    static func dropped(_ kind: ConfigKind) -> Set<String> {
        switch kind {
        case .role: ["children", "policies", "users"]
        case .policy: ["permissions", "roles", "users"]
        case .permission: ["system"]
        case .flow: ["operations"]
        case .dashboard: ["panels"]
        case .preset: ["user"]
        case .settings:
            [
                "project_id", "project_owner", "project_usage", "org_name", "product_updates", "project_status",
                "accepted_terms", "license_key", "license_token", "ai_openai_api_key", "ai_anthropic_api_key",
                "ai_google_api_key", "ai_openai_compatible_api_key", "ai_openai_compatible_headers", "project_url",
                "visual_editor_urls", "mapbox_key", "project_logo", "public_foreground", "public_background",
                "public_favicon",
            ]
        default: []
        }
    }

    /// The references of each kind: field → the kind it points at.
    static func references(_ kind: ConfigKind) -> [String: ConfigKind] {
        switch kind {
        case .folder: ["parent": .folder]
        case .role: ["parent": .role]
        case .access: ["role": .role, "policy": .policy]
        case .permission: ["policy": .policy, "role": .role]
        case .flow: ["operation": .operation]
        case .operation: ["flow": .flow, "resolve": .operation, "reject": .operation]
        case .panel: ["dashboard": .dashboard]
        case .preset: ["role": .role]
        case .settings: ["public_registration_role": .role, "storage_default_folder": .folder]
        default: [:]
        }
    }

    /// A row's id as text: `_syncId` in directus-sync exports, else `id`.
    static func id(of row: JSONObject, format: ConfigExport.Format) -> String? {
        let value = format == .directusSync ? row["_syncId"] : row["id"]
        return value.flatMap(text)
    }

    /// Whether a field is absent or `null`.
    static func isNull(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        default: false
        }
    }

    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let string): string
        default: value.jsonString
        }
    }

    /// The canonical form of `export`. `pinned` names, per kind, records whose logical key is already known (by
    /// id: the persisted identity mapping, or the same UUID as a source record): they take that key whatever their
    /// natural key, and an unpinned record whose natural key clashes with a pinned one gets a key of its own
    /// (`role:Editor#~<id>`), matched by nothing on the other side.
    public static func snapshot(
        of export: ConfigExport, pinned: [ConfigKind: [String: String]] = [:]
    ) -> ConfigurationSnapshot {
        var run = Run(export: export)
        run.pinned = pinned
        return run.snapshot()
    }

    // MARK: - The run

    struct Run {
        let export: ConfigExport
        /// Kept rows per kind, with their base logical keys and their final keys (`#n` added to shared ones).
        var rows: [ConfigKind: [(row: JSONObject, base: String, key: String)]] = [:]
        /// id → final logical key, per kind.
        var keys: [ConfigKind: [String: String]] = [:]
        var skipped: [String: Int] = [:]
        var unresolved: [String] = []
        /// id → logical key, per kind, decided before the natural keys.
        var pinned: [ConfigKind: [String: String]] = [:]

        init(export: ConfigExport) { self.export = export }

        func rowsOf(_ kind: ConfigKind) -> [JSONObject] { export.rows[kind] ?? [] }

        func name(_ row: JSONObject, _ field: String = "name") -> String {
            row[field].flatMap(ConfigNormalizer.text) ?? "~"
        }

        /// The final key of the record `kind` whose id is `value`, or nil.
        func key(_ kind: ConfigKind, _ value: JSONValue?) -> String? {
            guard let value, let id = ConfigNormalizer.text(value) else { return nil }
            return keys[kind]?[id]
        }

        mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

        mutating func snapshot() -> ConfigurationSnapshot {
            assignKeys()
            var entities: [String: ConfigEntity] = [:]
            var ambiguous: [String: Int] = [:]
            for kind in ConfigKind.allCases {
                for (row, base, key) in rows[kind] ?? [] {
                    if key != base { ambiguous[base, default: 0] += 1 }
                    entities[key] = ConfigEntity(
                        kind: kind, key: key, sourceID: ConfigNormalizer.id(of: row, format: export.format),
                        fields: fields(of: row, kind: kind))
                }
            }
            return ConfigurationSnapshot(
                entities: entities, ambiguous: ambiguous, unresolved: unresolved.sorted(),
                kinds: Set(export.rows.keys), incomplete: export.incomplete, skipped: skipped)
        }

        // MARK: Keys, parents first

        mutating func assignKeys() {
            for kind in ConfigKind.allCases {
                var kept: [(row: JSONObject, base: String)] = []
                var named: [(row: JSONObject, base: String, key: String)] = []
                var map: [String: String] = [:]
                let pins = pinned[kind] ?? [:]
                for row in rowsOf(kind) {
                    guard let base = baseKey(of: row, kind: kind) else { continue }
                    if let id = ConfigNormalizer.id(of: row, format: export.format), let key = pins[id] {
                        named.append((row, key, key))
                        map[id] = key
                        continue
                    }
                    kept.append((row, base))
                }
                let pinnedKeys = Set(pins.values)
                // Records that share a base key are told apart as `#1`, `#2`… by their content, then their id: the
                // same whatever order the export lists them in. Kinds are done parents first, so the keys their
                // references need exist already.
                for (base, group) in Dictionary(grouping: kept, by: \.base) {
                    if pinnedKeys.contains(where: { $0 == base || $0.hasPrefix(base + "#") }) {
                        // The key is taken by a pinned record: these are other records, matched by nothing.
                        for item in group {
                            let id = ConfigNormalizer.id(of: item.row, format: export.format) ?? "?"
                            named.append((item.row, base + "#~" + id, base + "#~" + id))
                            map[id] = base + "#~" + id
                        }
                        continue
                    }
                    let ordered = group.map { item in
                        (
                            item: item, content: JSONWriter.canonical.string(provisionalFields(item.row, kind: kind)),
                            id: ConfigNormalizer.id(of: item.row, format: export.format) ?? ""
                        )
                    }.sorted { ($0.content, $0.id) < ($1.content, $1.id) }
                    for (index, entry) in ordered.enumerated() {
                        let key = group.count > 1 ? "\(base)#\(index + 1)" : base
                        named.append((entry.item.row, base, key))
                        if !entry.id.isEmpty { map[entry.id] = key }
                    }
                }
                rows[kind] = named
                keys[kind] = map
            }
        }

        /// The fields without ids and audit fields, references as they are (for ordering duplicates only).
        func provisionalFields(_ row: JSONObject, kind: ConfigKind) -> JSONValue {
            var object = row
            for field in ConfigNormalizer.auditFields.union(ConfigNormalizer.dropped(kind)) {
                object.removeValue(forKey: field)
            }
            for field in ConfigNormalizer.references(kind).keys { object.removeValue(forKey: field) }
            return JSONValue.object(object).sortedDeep()
        }

        /// The public policies: attached through an access row with no role and no user.
        var publicPolicyIDs: Set<String> {
            Set(
                rowsOf(.access).compactMap { row -> String? in
                    guard ConfigNormalizer.isNull(row["role"]), ConfigNormalizer.isNull(row["user"]) else { return nil }
                    return row["policy"].flatMap(ConfigNormalizer.text)
                })
        }

        mutating func baseKey(of row: JSONObject, kind: ConfigKind) -> String? {
            switch kind {
            case .folder:
                return "folder:" + folderPath(row)
            case .role:
                return "role:" + name(row)
            case .policy:
                // The built-in public policy: its fixed id, or the one policy granted to the public.
                let id = ConfigNormalizer.id(of: row, format: export.format) ?? ""
                if id == ConfigNormalizer.publicPolicyID || id == "_sync_default_public_policy" {
                    return "policy:@public"
                }
                let publics = publicPolicyIDs
                let hasBuiltIn = rowsOf(.policy).contains { policy in
                    let other = ConfigNormalizer.id(of: policy, format: export.format)
                    return other == ConfigNormalizer.publicPolicyID || other == "_sync_default_public_policy"
                }
                if publics.contains(id), !hasBuiltIn, publics.count == 1 || row["name"] == "$t:public_label" {
                    return "policy:@public"
                }
                // The built-in admin policy: the one the bootstrap makes ("Administrator", admin access), whose id
                // differs on every instance.
                let format = export.format
                let isBuiltInAdmin = { (policy: JSONObject) in
                    policy["admin_access"] == .bool(true)
                        && (policy["name"] == "Administrator"
                            || ConfigNormalizer.id(of: policy, format: format) == "_sync_default_admin_policy")
                }
                if isBuiltInAdmin(row) && rowsOf(.policy).filter(isBuiltInAdmin).count == 1 { return "policy:@admin" }
                return "policy:" + name(row)
            case .access:
                if !ConfigNormalizer.isNull(row["user"]) {
                    skip("user-bound access")
                    return nil
                }
                let role =
                    ConfigNormalizer.isNull(row["role"])
                    ? nil : row["role"].map { key(.role, $0) ?? unresolvedKey(.role, $0) }
                let policy = key(.policy, row["policy"]) ?? unresolvedKey(.policy, row["policy"] ?? .null)
                return "access:\(role ?? "@public")→\(policy)"
            case .permission:
                if row["system"] == .bool(true)
                    || (row["id"] == nil && export.format != .directusSync && row.contains(key: "policy")
                        && ConfigNormalizer.isNull(row["policy"]))
                {
                    skip("app-access minimal permission")
                    return nil
                }
                let owner: String
                if row.contains(key: "policy") || !row.contains(key: "role") {
                    owner = key(.policy, row["policy"]) ?? unresolvedKey(.policy, row["policy"] ?? .null)
                } else if let role = row["role"], !ConfigNormalizer.isNull(role) {
                    owner = key(.role, role) ?? unresolvedKey(.role, role)
                } else {
                    owner = "role:@public"
                }
                return "permission:\(owner)/\(name(row, "collection"))/\(name(row, "action"))"
            case .translation:
                return "translation:\(name(row, "language"))/\(name(row, "key"))"
            case .flow:
                return "flow:" + (ConfigNormalizer.id(of: row, format: export.format) ?? name(row))
            case .operation:
                let flow = key(.flow, row["flow"]) ?? unresolvedKey(.flow, row["flow"] ?? .null)
                return "operation:\(flow)/\(name(row, "key"))"
            case .dashboard:
                return "dashboard:" + name(row)
            case .panel:
                return "panel:" + (ConfigNormalizer.id(of: row, format: export.format) ?? name(row))
            case .preset:
                if !ConfigNormalizer.isNull(row["user"]) {
                    skip("personal preset")
                    return nil
                }
                let role =
                    ConfigNormalizer.isNull(row["role"])
                    ? nil : row["role"].map { key(.role, $0) ?? unresolvedKey(.role, $0) }
                return "preset:\(name(row, "collection"))/\(name(row, "bookmark"))/\(role ?? "*")"
            case .settings:
                return "settings"
            }
        }

        /// The path of names from the root (`/Media/Logos`), parents followed by id.
        func folderPath(_ row: JSONObject) -> String {
            let byID = Dictionary(
                rowsOf(.folder).compactMap { folder in
                    ConfigNormalizer.id(of: folder, format: export.format).map { ($0, folder) }
                }, uniquingKeysWith: { first, _ in first })
            var names = [name(row)]
            var current = row
            var seen = Set<String>()
            while let parent = current["parent"].flatMap(ConfigNormalizer.text), !seen.contains(parent),
                let next = byID[parent]
            {
                seen.insert(parent)
                names.insert(name(next), at: 0)
                current = next
            }
            return "/" + names.joined(separator: "/")
        }

        mutating func unresolvedKey(_ kind: ConfigKind, _ value: JSONValue) -> String {
            let raw = ConfigNormalizer.text(value) ?? "null"
            let key = "?\(kind.rawValue):\(raw)"
            if !unresolved.contains(key) { unresolved.append(key) }
            return key
        }

        // MARK: Fields

        mutating func fields(of row: JSONObject, kind: ConfigKind) -> JSONValue {
            var object = JSONObject()
            let drop = ConfigNormalizer.auditFields.union(ConfigNormalizer.dropped(kind))
            let references = ConfigNormalizer.references(kind)
            for (field, value) in row where !drop.contains(field) {
                if let target = references[field] {
                    object[field] =
                        ConfigNormalizer.isNull(value)
                        ? .null : .string(key(target, value) ?? unresolvedKey(target, value))
                    continue
                }
                guard let kept = ConfigNormalizer.withoutMasks(value) else { continue }
                object[field] = kept
            }
            if kind == .permission, let fields = object["fields"] {
                object["fields"] = ConfigNormalizer.csv(fields, asSet: true)
            }
            if kind == .policy, let access = object["ip_access"] {
                object["ip_access"] = ConfigNormalizer.csv(access, asSet: false)
            }
            if kind == .operation, case .object(var options)? = object["options"], let flow = options["flow"],
                !ConfigNormalizer.isNull(flow)
            {
                options["flow"] = .string(key(.flow, flow) ?? unresolvedKey(.flow, flow))
                object["options"] = .object(options)
            }
            if kind == .folder { object.removeValue(forKey: "parent") }
            return JSONValue.object(object).sortedDeep()
        }
    }

    /// The value without masked secrets (nil when the value itself is the mask).
    static func withoutMasks(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let text) where text == mask: return nil
        case .object(let object):
            var kept = JSONObject()
            for (key, member) in object {
                if let member = withoutMasks(member) { kept[key] = member }
            }
            return .object(kept)
        case .array(let array): return .array(array.compactMap(withoutMasks))
        default: return value
        }
    }

    /// A csv column as an array (already an array: as it is); `asSet` sorts it, its order carrying no meaning.
    static func csv(_ value: JSONValue, asSet: Bool) -> JSONValue {
        var items: [JSONValue]
        switch value {
        case .string(let text):
            items = text.split(separator: ",").map { .string(String($0)) }
        case .array(let array): items = array
        default: return value
        }
        if asSet {
            items.sort { jsStringLess(JSONWriter.canonical.string($0), JSONWriter.canonical.string($1)) }
        }
        return .array(items)
    }
}
