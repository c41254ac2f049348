import DirectusConfig
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// Configuration diffs: two real versions of a project against a hand-checked expectation, and the concerns that
/// make a change need a person.
@Suite("Configuration diffs")
struct ConfigDiffTests {
    static func snapshot(_ path: String) throws -> ConfigurationSnapshot {
        ConfigNormalizer.snapshot(of: try CorpusConfigTests.read(path))
    }

    static func summary(_ changes: [ConfigDiff.Change]) -> [String] {
        changes.map { "\($0.action.rawValue) \($0.key)" + ($0.fields.isEmpty ? "" : " \($0.fields)") }
    }

    @Test(
        "Blaxzter gb-dashboard, 2024-11 to 2025-02 (directus-sync): a role, its policy and their access are new; the second Administrator role is held for a person"
    )
    func gbDashboard() throws {
        let before = try Self.snapshot("Blaxzter__gb-dashboard__directus-config__collections/4c0fddd5")
        let after = try Self.snapshot("Blaxzter__gb-dashboard__directus-config__collections/29c5e434")
        // Hand-checked against the two folders: roles.json gains "Dashboard" and a second "Administrator" with the
        // same fields; policies.json gains "DashboardUserPolicy", granted to the Dashboard role; nothing else
        // changes (folders, permissions and the rest are identical).
        #expect(after.ambiguous == ["role:Administrator": 2])
        let diff = ConfigDiff.diff(current: before, desired: after)
        #expect(
            Self.summary(diff.changes) == [
                "create role:Dashboard",
                "create policy:DashboardUserPolicy",
                "create access:role:Dashboard→policy:DashboardUserPolicy",
            ])
        #expect(Self.summary(diff.held).allSatisfy { $0.contains("role:Administrator") })
        #expect(!diff.held.isEmpty)
        #expect(diff.changes.allSatisfy { $0.concerns.isEmpty })
        // The other way round, the new records are deleted, children first.
        let back = ConfigDiff.diff(current: after, desired: before)
        #expect(
            Self.summary(back.changes) == [
                "delete access:role:Dashboard→policy:DashboardUserPolicy",
                "delete policy:DashboardUserPolicy",
                "delete role:Dashboard",
            ])
        #expect(back.changes.allSatisfy { $0.isDestructive })
    }

    @Test("the same configuration written by different tools or in another order has the same hash")
    func sameHash() throws {
        let one = try Self.snapshot("directus-labs__directus-templates__simple-website-cms__src/7bf6a0f6")
        let two = try Self.snapshot("directus-labs__directus-templates__simple-website-cms__src/d1a82ee4")
        let diff = ConfigDiff.diff(current: one, desired: two)
        #expect(diff.isEmpty == (one.contentHash == two.contentHash))
    }

    /// A small template-cli export, as rows.
    static func export(
        policies: [JSONValue] = [], access: [JSONValue] = [], permissions: [JSONValue] = [], flows: [JSONValue] = [],
        roles: [JSONValue] = [], settings: [JSONValue] = [], incomplete: Bool = false
    ) -> ConfigurationSnapshot {
        var rows: [ConfigKind: [JSONObject]] = [:]
        rows[.policy] = policies.compactMap(\.objectValue)
        rows[.access] = access.compactMap(\.objectValue)
        rows[.permission] = permissions.compactMap(\.objectValue)
        rows[.flow] = flows.compactMap(\.objectValue)
        rows[.role] = roles.compactMap(\.objectValue)
        rows[.settings] = settings.compactMap(\.objectValue)
        return ConfigNormalizer.snapshot(of: ConfigExport(format: .templateCLI, rows: rows, incomplete: incomplete))
    }

    static let editor: JSONValue = ["id": "p1", "name": "Editor", "admin_access": false, "app_access": true]
    static let editorRole: JSONValue = ["id": "r1", "name": "Editor"]
    static func permission(_ fields: String, filter: JSONValue = .null, id: Int = 1) -> JSONValue {
        [
            "id": .number(JSONNumber(id)), "policy": "p1", "collection": "articles", "action": "read",
            "fields": .string(fields), "permissions": filter, "validation": nil, "presets": nil,
        ]
    }

    @Test("ids differ between instances, the logical keys do not")
    func idsDoNotMatter() {
        let source = Self.export(policies: [Self.editor], permissions: [Self.permission("title,body", id: 7)])
        var target = Self.export(
            policies: [["id": "other", "name": "Editor", "admin_access": false, "app_access": true]],
            permissions: [
                [
                    "id": 99, "policy": "other", "collection": "articles", "action": "read", "fields": "body,title",
                    "permissions": nil, "validation": nil, "presets": nil,
                ]
            ])
        #expect(ConfigDiff.diff(current: target, desired: source).isEmpty, "field order is a set; ids are not compared")
        #expect(source.contentHash == target.contentHash)
        target = Self.export(policies: [Self.editor], permissions: [Self.permission("title", id: 7)])
        let loosened = ConfigDiff.diff(current: target, desired: source)
        #expect(loosened.changes.first?.key == "permission:policy:Editor/articles/read")
        #expect(loosened.changes.first?.concerns == [.widensAccess("fields added: body")])
    }

    @Test("loosening and tightening permissions, admin access and flows are flagged")
    func concerns() {
        let open = Self.export(policies: [Self.editor], permissions: [Self.permission("*")])
        let filtered = Self.export(
            policies: [Self.editor], permissions: [Self.permission("*", filter: ["status": ["_eq": "published"]])])
        #expect(
            ConfigDiff.diff(current: filtered, desired: open).changes.first?.concerns == [
                .widensAccess("the permissions rule is removed")
            ])
        #expect(ConfigDiff.diff(current: open, desired: filtered).changes.first?.isDestructive == true)

        let admin = Self.export(policies: [["id": "p1", "name": "Editor", "admin_access": true, "app_access": true]])
        let promoted = ConfigDiff.diff(current: Self.export(policies: [Self.editor]), desired: admin)
        #expect(promoted.changes.first?.concerns.contains(.widensAccess("admin_access false → true")) == true)

        let active: JSONValue = [
            "id": "f1", "name": "Hook", "status": "active", "trigger": "webhook", "options": ["method": "POST"],
        ]
        let paused: JSONValue = [
            "id": "f1", "name": "Hook", "status": "inactive", "trigger": "webhook", "options": ["method": "GET"],
        ]
        let flow = ConfigDiff.diff(current: Self.export(flows: [active]), desired: Self.export(flows: [paused]))
        #expect(flow.changes.first?.key == "flow:f1")
        #expect(flow.changes.first?.concerns.count == 2)

        let role = ConfigDiff.diff(current: Self.export(roles: [Self.editorRole]), desired: Self.export())
        #expect(role.changes.first?.action == .delete)
        #expect(role.changes.first?.concerns.first?.description.contains("suspends its users") == true)
    }

    @Test("the public policy is found by its access row; instance settings and masked secrets are never compared")
    func builtIns() {
        let publicPolicy: JSONValue = ["id": "abf8a154-5b1c-4a46-ac9c-7300570f4f17", "name": "$t:public_label"]
        let snapshot = Self.export(
            policies: [publicPolicy],
            access: [["id": "a1", "role": nil, "user": nil, "policy": "abf8a154-5b1c-4a46-ac9c-7300570f4f17"]],
            settings: [
                [
                    "id": 1, "project_name": "Shop", "project_id": "0199-…", "ai_openai_api_key": "**********",
                    "project_url": "https://dev",
                ]
            ])
        #expect(snapshot.entities["policy:@public"] != nil)
        #expect(snapshot.entities["access:@public→policy:@public"] != nil)
        #expect(snapshot.entities["settings"]?.fields == ["project_name": "Shop"])
        let grant = ConfigDiff.diff(
            current: Self.export(policies: [publicPolicy], settings: [["id": 1, "project_name": "Shop"]]),
            desired: snapshot)
        #expect(grant.changes.map(\.key) == ["access:@public→policy:@public"])
        #expect(grant.changes.first?.concerns.contains(.widensAccess("a policy is granted to the public")) == true)
    }

    @Test("an incomplete source never deletes")
    func incomplete() {
        let target = Self.export(policies: [Self.editor], permissions: [Self.permission("*")])
        let source = Self.export(policies: [Self.editor], incomplete: true)
        let diff = ConfigDiff.diff(current: target, desired: source)
        #expect(diff.changes.isEmpty)
        #expect(diff.deletionsWithheld == 1)
    }
}
