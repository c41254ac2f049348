import DirectusConfig
import DirectusSchema
import Foundation

/// The configuration rows of an emulated instance (roles, policies, access, permissions, flows…) with the rules
/// Directus's services enforce on them (CONFIG-SPEC sections 2 and 3): client primary keys honoured for uuid keys,
/// integer keys assigned, duplicates refused, cascades on delete, the remaining-admin check, masked secrets.
struct EmulatedConfiguration: Sendable {
    /// The rows of each collection, with their `id`.
    var rows: [ConfigKind: [JSONObject]] = [:]
    var nextInteger: [ConfigKind: Int] = [:]
    /// The users, by id, with their role: who has admin access depends on them.
    var users: [(id: String, role: String?, admin: Bool)] = []

    /// An object literal.
    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    /// The fields Directus encrypts: read back masked.
    static let encrypted: Set<String> = [
        "ai_openai_api_key", "ai_anthropic_api_key", "ai_google_api_key", "ai_openai_compatible_api_key",
    ]

    /// A fresh 11.x instance: the public policy with its fixed id and access row, and the bootstrap's
    /// Administrator role and policy (random ids) with the admin users in that role.
    static func bootstrap(adminUsers: [String]) -> EmulatedConfiguration {
        var configuration = EmulatedConfiguration()
        let role = UUID().uuidString.lowercased()
        let policy = UUID().uuidString.lowercased()
        configuration.rows[.role] = [
            object([
                "id": .string(role), "name": "Administrator", "icon": "verified", "description": "$t:admin_description",
                "parent": nil,
            ])
        ]
        configuration.rows[.policy] = [
            object([
                "id": .string(ConfigNormalizer.publicPolicyID), "name": "$t:public_label", "icon": "public",
                "description": "$t:public_description", "ip_access": nil, "enforce_tfa": false, "admin_access": false,
                "app_access": false,
            ]),
            object([
                "id": .string(policy), "name": "Administrator", "icon": "verified",
                "description": "$t:admin_description",
                "ip_access": nil, "enforce_tfa": false, "admin_access": true, "app_access": true,
            ]),
        ]
        configuration.rows[.access] = [
            object([
                "id": .string(UUID().uuidString.lowercased()), "role": nil, "user": nil,
                "policy": .string(ConfigNormalizer.publicPolicyID), "sort": 1,
            ]),
            object([
                "id": .string(UUID().uuidString.lowercased()), "role": .string(role), "user": nil,
                "policy": .string(policy), "sort": nil,
            ]),
        ]
        configuration.rows[.settings] = [object(["id": 1, "project_name": "Directus"])]
        configuration.users = adminUsers.map { _ in (UUID().uuidString.lowercased(), role, true) }
        for kind in ConfigKind.allCases where configuration.rows[kind] == nil { configuration.rows[kind] = [] }
        configuration.nextInteger = [.permission: 1, .preset: 1]
        return configuration
    }

    // MARK: Errors (Directus's own)

    static func notUnique(_ kind: ConfigKind) -> DirectusErrorResponse {
        DirectusErrorResponse(
            status: 400, code: "RECORD_NOT_UNIQUE",
            message: "Value for field \"id\" in collection \"\(kind.collection)\" has to be unique.",
            extensions: [("collection", .string(kind.collection)), ("field", "id")])
    }

    static let lastAdmin = DirectusErrorResponse(
        status: 422, code: "UNPROCESSABLE_CONTENT",
        message: "Can't process content. Cannot remove the last admin user from the system.")

    // MARK: Reading

    func id(_ row: JSONObject) -> String? { row["id"].flatMap { $0.stringValue ?? $0.jsonString } }

    func find(_ kind: ConfigKind, _ key: String) -> Int? {
        rows[kind]?.firstIndex { id($0) == key }
    }

    /// A row as `GET` returns it with `fields=*`: alias fields as arrays of child keys, encrypted fields masked.
    func presented(_ row: JSONObject, _ kind: ConfigKind) -> JSONObject {
        var out = row
        let key = id(row).map(JSONValue.string) ?? .null
        func children(_ child: ConfigKind, _ field: String) -> JSONValue {
            .array((rows[child] ?? []).filter { $0[field] == key }.compactMap { $0["id"] })
        }
        switch kind {
        case .role:
            out["children"] = children(.role, "parent")
            out["policies"] = children(.access, "role")
            out["users"] = .array(users.filter { $0.role == key.stringValue }.map { .string($0.id) })
        case .policy:
            out["permissions"] = children(.permission, "policy")
            out["roles"] = .array(
                (rows[.access] ?? []).filter { $0["policy"] == key && ($0["user"] ?? .null) == .null }.compactMap {
                    $0["id"]
                })
            out["users"] = .array(
                (rows[.access] ?? []).filter { $0["policy"] == key && ($0["user"] ?? .null) != .null }.compactMap {
                    $0["id"]
                })
        case .flow: out["operations"] = children(.operation, "flow")
        case .dashboard: out["panels"] = children(.panel, "dashboard")
        case .settings:
            for field in Self.encrypted where out[field] != nil && out[field] != .null {
                out[field] = .string(ConfigNormalizer.mask)
            }
        default: break
        }
        return out
    }

    /// `GET /<collection>`: `limit` (default 100, -1 for all), `offset`, sorted by id; for permissions, the
    /// app-access minimal rows Directus adds for callers with app access (no id, `policy: null`, `system: true`).
    func read(_ kind: ConfigKind, limit: Int, offset: Int) -> [JSONObject] {
        var all = (rows[kind] ?? []).map { presented($0, kind) }
        if kind == .permission {
            all += ["directus_settings", "directus_users"].map { collection in
                Self.object([
                    "policy": nil, "collection": .string(collection), "action": "read", "permissions": [:],
                    "validation": nil, "presets": nil, "fields": ["*"], "system": true,
                ])
            }
        }
        let start = min(max(0, offset), all.count)
        let end = limit < 0 ? all.count : min(all.count, start + limit)
        return Array(all[start..<end])
    }

    // MARK: Writing

    /// The fields a write may not carry: aliases (Directus would replace the children) are taken as given by
    /// Directus, so the emulator refuses nothing here; it stores only the collection's own columns.
    static let aliases: [ConfigKind: Set<String>] = [
        .role: ["children", "policies", "users"], .policy: ["permissions", "roles", "users"],
        .flow: ["operations"], .dashboard: ["panels"],
    ]

    mutating func create(_ kind: ConfigKind, _ body: JSONObject) throws(DirectusErrorResponse) -> JSONObject {
        var row = body
        for alias in Self.aliases[kind] ?? [] { row.removeValue(forKey: alias) }
        if kind.hasIntegerKey {
            if let given = row["id"]?.numberValue?.intValue {
                if find(kind, "\(given)") != nil { throw Self.notUnique(kind) }
                nextInteger[kind] = max(nextInteger[kind] ?? 1, given + 1)
            } else {
                let next = nextInteger[kind] ?? 1
                row["id"] = .number(JSONNumber(next))
                nextInteger[kind] = next + 1
            }
        } else {
            if let given = row["id"].flatMap({ $0 == .null ? nil : ($0.stringValue ?? $0.jsonString) }) {
                if find(kind, given) != nil { throw Self.notUnique(kind) }
            } else {
                row["id"] = .string(UUID().uuidString.lowercased())
            }
        }
        try validate(kind, row, replacing: nil)
        rows[kind, default: []].append(row)
        try checkAdmins()
        return row
    }

    mutating func update(_ kind: ConfigKind, key: String, _ body: JSONObject) throws(DirectusErrorResponse) {
        guard let index = find(kind, key) else { return }  // as an admin: 204, nothing touched
        let saved = self
        var row = rows[kind]![index]
        for (field, value) in body where field != "id" && !(Self.aliases[kind] ?? []).contains(field) {
            row[field] = value
        }
        if kind == .translation, body["key"] != nil, body["language"] != nil {
            throw DirectusErrorResponse.invalidPayload("Duplicate key and language combination")
        }
        try validate(kind, row, replacing: index)
        rows[kind]![index] = row
        do {
            try checkAdmins()
        } catch {
            self = saved
            throw error
        }
    }

    mutating func delete(_ kind: ConfigKind, key: String) throws(DirectusErrorResponse) {
        guard let index = find(kind, key) else { return }
        let saved = self
        let value = rows[kind]![index]["id"] ?? .null
        rows[kind]!.remove(at: index)
        switch kind {
        case .role:
            rows[.access]?.removeAll { $0["role"] == value }
            rows[.preset]?.removeAll { $0["role"] == value }
            for i in rows[.role]!.indices where rows[.role]![i]["parent"] == value { rows[.role]![i]["parent"] = .null }
            users = users.map { $0.role == value.stringValue ? ($0.id, nil, $0.admin) : $0 }
        case .policy:
            rows[.permission]?.removeAll { $0["policy"] == value }
            rows[.access]?.removeAll { $0["policy"] == value }
        case .flow:
            rows[.operation]?.removeAll { $0["flow"] == value }
        case .dashboard:
            rows[.panel]?.removeAll { $0["dashboard"] == value }
        case .operation:
            if (rows[.operation] ?? []).contains(where: { $0["resolve"] == value || $0["reject"] == value }) {
                self = saved
                throw DirectusErrorResponse.internalError("An unexpected error occurred.")
            }
        default: break
        }
        do {
            try checkAdmins()
        } catch {
            self = saved
            throw error
        }
    }

    /// What Directus's services check on a write.
    func validate(_ kind: ConfigKind, _ row: JSONObject, replacing index: Int?) throws(DirectusErrorResponse) {
        switch kind {
        case .translation:
            let clash = (rows[.translation] ?? []).enumerated().contains { offset, other in
                offset != index && other["key"] == row["key"] && other["language"] == row["language"]
            }
            if clash { throw DirectusErrorResponse.invalidPayload("Duplicate key and language combination") }
        case .role:
            if let parent = row["parent"], parent != .null, parent == row["id"] {
                throw DirectusErrorResponse.invalidPayload("A role cannot be a parent of itself")
            }
        case .operation:
            for pointer in ["resolve", "reject"] {
                guard let target = row[pointer], target != .null else { continue }
                let taken = (rows[.operation] ?? []).enumerated().contains { offset, other in
                    offset != index && other[pointer] == target
                }
                if taken {
                    throw DirectusErrorResponse(
                        status: 400, code: "RECORD_NOT_UNIQUE",
                        message:
                            "Value for field \"\(pointer)\" in collection \"directus_operations\" has to be unique.",
                        extensions: [("collection", "directus_operations"), ("field", .string(pointer))])
                }
            }
        default: break
        }
    }

    /// The remaining-admin check: some admin user keeps admin access through their role.
    func checkAdmins() throws(DirectusErrorResponse) {
        let adminPolicies = Set((rows[.policy] ?? []).filter { $0["admin_access"] == .bool(true) }.compactMap(id))
        let adminRoles = Set(
            (rows[.access] ?? []).filter { access in
                access["policy"].flatMap { $0.stringValue }.map(adminPolicies.contains) ?? false
            }.compactMap { $0["role"]?.stringValue })
        guard users.contains(where: { $0.admin && $0.role.map(adminRoles.contains) == true }) else {
            throw Self.lastAdmin
        }
    }
}
