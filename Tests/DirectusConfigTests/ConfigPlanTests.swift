import DirectusConfig
import DirectusSchema
import Foundation
import Testing

/// `ConfigPlanner`: the writes, their order, what is never touched, and identity across instances (pure).
@Suite("Configuration plans")
struct ConfigPlanTests {
    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    static let adminRole = object(["id": "r-admin", "name": "Administrator", "icon": "verified", "parent": nil])
    static let adminPolicy = object([
        "id": "p-admin", "name": "Administrator", "admin_access": true, "app_access": true,
    ])
    static let adminAccess = object(["id": "a-admin", "role": "r-admin", "user": nil, "policy": "p-admin"])

    /// An instance's export: the built-in admin records plus `rows`.
    static func export(_ rows: [ConfigKind: [JSONObject]]) -> ConfigExport {
        var all: [ConfigKind: [JSONObject]] = [
            .role: [adminRole], .policy: [adminPolicy], .access: [adminAccess], .permission: [], .flow: [],
            .operation: [],
        ]
        for (kind, list) in rows { all[kind, default: []] += list }
        return ConfigExport(format: .live, rows: all)
    }

    static func plan(
        source: ConfigExport, target: ConfigExport, options: ConfigPlanner.Options = .init(),
        mapping: [ConfigKind: [String: String]] = [:]
    ) -> ConfigPlan {
        let desired = ConfigNormalizer.snapshot(of: source)
        let pins = ConfigIdentityResolver.resolve(desired: desired, target: target, mapping: mapping).pins
        return ConfigPlanner.plan(
            desired: desired, current: ConfigNormalizer.snapshot(of: target, pinned: pins), options: options)
    }

    static func steps(_ plan: ConfigPlan) -> [String] {
        plan.steps.map { "\($0.action.rawValue) \($0.key)" }
    }

    static let flow = "f0000000-0000-4000-8000-000000000001"
    static let first = "o0000000-0000-4000-8000-000000000001"
    static let second = "o0000000-0000-4000-8000-000000000002"

    static var flowRows: [ConfigKind: [JSONObject]] {
        [
            .flow: [
                object(["id": .string(flow), "name": "Nightly export", "status": "active", "operation": .string(first)])
            ],
            .operation: [
                object([
                    "id": .string(first), "key": "a", "flow": .string(flow), "resolve": .string(second), "reject": nil,
                ]),
                object(["id": .string(second), "key": "b", "flow": .string(flow), "resolve": nil, "reject": nil]),
            ],
        ]
    }

    @Test("a flow and its chained operations: created with their pointers empty, then linked; the flow keeps its UUID")
    func cycles() throws {
        let plan = Self.plan(source: Self.export(Self.flowRows), target: Self.export([:]))
        #expect(
            Self.steps(plan) == [
                "create flow:\(Self.flow)", "create operation:flow:\(Self.flow)/a",
                "create operation:flow:\(Self.flow)/b", "link flow:\(Self.flow)", "link operation:flow:\(Self.flow)/a",
            ])
        let create = try #require(plan.steps.first)
        #expect(create.body["id"]?.stringValue == Self.flow)
        #expect(create.body["operation"] == .null)
        let link = plan.steps[4]
        var ids = plan.targetIDs
        ids["flow:\(Self.flow)"] = Self.flow
        ids["operation:flow:\(Self.flow)/b"] = "new-b"
        #expect(try link.resolvedBody(ids: ids)["resolve"]?.stringValue == "new-b")
    }

    @Test("integer keys are never sent; references become the target's ids")
    func integerKeys() throws {
        let policy = Self.object(["id": "p-src", "name": "Editors", "admin_access": false, "app_access": true])
        let permission = Self.object([
            "id": 41, "policy": "p-src", "collection": "articles", "action": "read", "fields": "title,body",
        ])
        let source = Self.export([.policy: [policy], .permission: [permission]])
        let targetPolicy = Self.object(["id": "p-tgt", "name": "Editors", "admin_access": false, "app_access": true])
        let plan = Self.plan(source: source, target: Self.export([.policy: [targetPolicy]]))
        #expect(Self.steps(plan) == ["create permission:policy:Editors/articles/read"])
        let body = try plan.steps[0].resolvedBody(ids: plan.targetIDs)
        #expect(body["id"] == nil)
        #expect(body["policy"]?.stringValue == "p-tgt")
        #expect(body["fields"] == ["body", "title"])
    }

    @Test("the admin policy, its access and the public access are never deleted or demoted")
    func protections() {
        let source = ConfigExport(
            format: .live,
            rows: [
                .role: [Self.adminRole],
                .policy: [
                    Self.object(["id": "p-admin", "name": "Administrator", "admin_access": false, "app_access": true])
                ],
                .access: [],
            ])
        let plan = Self.plan(source: source, target: Self.export([:]))
        #expect(plan.steps.isEmpty)
        // The source's demoted policy has the target's id: matched with it, whatever its key.
        let refused = plan.refused.map(\.key)
        #expect(refused.contains("policy:Administrator"))
        #expect(refused.contains("access:role:Administrator→policy:Administrator"))
        // Matched by name only (other ids), the same.
        var other = source
        other.rows[.policy] = [
            Self.object(["id": "p-other", "name": "Administrator", "admin_access": false, "app_access": true])
        ]
        other.rows[.role] = [
            Self.object(["id": "r-other", "name": "Administrator", "icon": "verified", "parent": nil])
        ]
        let byName = Self.plan(source: other, target: Self.export([:]))
        #expect(!byName.steps.contains { $0.action == .delete || $0.targetID == "p-admin" })
        #expect(!byName.refused.isEmpty)
    }

    @Test("deletions: children of a deleted parent are left to Directus's cascade; never under destructive: never")
    func deletions() {
        let policy = Self.object(["id": "p1", "name": "Editors", "admin_access": false, "app_access": true])
        let permission = Self.object(["id": 7, "policy": "p1", "collection": "articles", "action": "read"])
        let target = Self.export([.policy: [policy], .permission: [permission]])
        let plan = Self.plan(source: Self.export([:]), target: target)
        #expect(Self.steps(plan) == ["delete policy:Editors"])
        #expect(plan.isDestructive)
        let kept = Self.plan(source: Self.export([:]), target: target, options: .init(keepDeletions: true))
        #expect(kept.steps.isEmpty)
        #expect(kept.withheld.map(\.key).sorted() == ["permission:policy:Editors/articles/read", "policy:Editors"])
    }

    @Test("an unlicensed 12.x source's permissions are incomplete: none is deleted")
    func unlicensed() {
        #expect(
            ConfigLicence.incompleteKinds(version: DirectusVersion(12, 4, 0), settings: Self.object(["id": 1]))
                == [.permission])
        #expect(
            ConfigLicence.incompleteKinds(
                version: DirectusVersion(12, 4, 0), settings: Self.object(["license_key": "**********"])
            ).isEmpty)
        #expect(ConfigLicence.incompleteKinds(version: DirectusVersion(11, 17, 4), settings: nil).isEmpty)
        let policy = Self.object(["id": "p1", "name": "Editors", "admin_access": false, "app_access": true])
        let permission = Self.object(["id": 7, "policy": "p1", "collection": "articles", "action": "read"])
        var desired = ConfigNormalizer.snapshot(of: Self.export([.policy: [policy]]))
        desired.incompleteKinds = [.permission]
        let plan = ConfigPlanner.plan(
            desired: desired,
            current: ConfigNormalizer.snapshot(of: Self.export([.policy: [policy], .permission: [permission]])))
        #expect(plan.isEmpty)
        #expect(plan.withheld.count == 1)
    }

    @Test("a reference to a record neither on the target nor promoted is refused, never sent")
    func unresolved() {
        let access = Self.object(["id": "a1", "role": "r-gone", "user": nil, "policy": "p-admin"])
        let plan = Self.plan(source: Self.export([.access: [access]]), target: Self.export([:]))
        #expect(plan.steps.isEmpty)
        #expect(plan.refused.first?.reason.contains("neither on the target nor promoted") == true)
    }

    @Test("a persisted mapping makes a renamed role an update, not a delete and a create")
    func renamed() {
        let source = Self.export([.role: [Self.object(["id": "r-src", "name": "Authors", "parent": nil])]])
        let target = Self.export([.role: [Self.object(["id": "r-tgt", "name": "Editors", "parent": nil])]])
        let byName = Self.plan(source: source, target: target)
        #expect(Self.steps(byName) == ["create role:Authors", "delete role:Editors"])
        let mapped = Self.plan(source: source, target: target, mapping: [.role: ["r-src": "r-tgt"]])
        #expect(Self.steps(mapped) == ["update role:Authors"])
        #expect(mapped.steps.first?.targetID == "r-tgt")
        #expect(mapped.steps.first?.body["name"] == "Authors")
    }

    @Test("ignore rules leave a role with its access, a flow by name with its operations, and a setting out")
    func ignore() {
        let role = Self.object(["id": "r1", "name": "Editor", "parent": nil])
        let policy = Self.object(["id": "p1", "name": "Editing", "admin_access": false, "app_access": true])
        let access = Self.object(["id": "a1", "role": "r1", "user": nil, "policy": "p1"])
        var rows = Self.flowRows
        rows[.role] = [role]
        rows[.policy] = [policy]
        rows[.access] = [access]
        rows[.settings] = [Self.object(["id": 1, "project_name": "Dev", "project_color": "#6644FF"])]
        let desired = ConfigNormalizer.snapshot(of: Self.export(rows))
        let current = ConfigNormalizer.snapshot(
            of: Self.export([.settings: [Self.object(["id": 1, "project_name": "Prod", "project_color": "#000000"])]]))
        let ignore = ConfigIgnore(["role:Editor", "flow:Nightly*", "settings.project_name", "articles.body"])
        #expect(ignore.patterns == ["role:Editor", "flow:Nightly*", "settings.project_name"])
        let (source, target) = ignore.apply(desired: desired, current: current)
        let plan = ConfigPlanner.plan(desired: source, current: target)
        #expect(Self.steps(plan) == ["create policy:Editing", "update settings"])
        #expect(plan.steps.last?.body == Self.object(["project_color": "#6644FF"]))
    }

    @Test("the stored form reads back to the same configuration and hash")
    func storage() throws {
        var snapshot = ConfigNormalizer.snapshot(of: Self.export(Self.flowRows))
        snapshot.incompleteKinds = [.permission]
        let back = try ConfigurationSnapshot(stored: snapshot.storedJSON)
        #expect(back.contentHash == snapshot.contentHash)
        #expect(back.entities["flow:\(Self.flow)"]?.sourceID == Self.flow)
        #expect(back.incompleteKinds == [.permission])
        #expect(back.kinds == snapshot.kinds)
    }

    @Test("two records with one key on the target hold the plan until a person says which is which")
    func ambiguous() {
        let source = Self.export([.role: [Self.object(["id": "r-src", "name": "Editor", "icon": "c", "parent": nil])]])
        let target = Self.export([
            .role: [
                Self.object(["id": "r1", "name": "Editor", "icon": "a", "parent": nil]),
                Self.object(["id": "r2", "name": "Editor", "icon": "b", "parent": nil]),
            ]
        ])
        let plan = Self.plan(source: source, target: target)
        #expect(plan.blockingReason?.contains("role:Editor (1 on the source, 2 on the target)") == true)
        let decided = Self.plan(source: source, target: target, mapping: [.role: ["r-src": "r2"]])
        #expect(decided.blockingReason == nil)
        #expect(Self.steps(decided) == ["update role:Editor", "delete role:Editor#~r1"])
    }
}
