import DirectusClient
import DirectusConfig
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import TestSupport
import Testing

/// Compensation against a real emulator: what an apply changed, deleted (with Directus's cascades) and created is
/// put back from the rows read before it, and the report says so.
@Suite("Configuration apply and compensation")
struct ConfigurationApplierTests {
    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    @Test("an update, a deleted policy with its permission, and a failed delete: all put back, ids where they can be")
    func compensatesDeletes() async throws {
        let clock = ManualClock()
        let target = try makeInstance(baseSnapshot, clock: clock)
        let editors = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
        let authors = "8e2f3a4b-5c6d-4e7f-8081-92a3b4c5d6e7"
        await target.setConfigurationRows(
            await target.configurationRows(.role) + [
                Self.object(["id": .string(authors), "name": "Authors", "icon": "edit", "parent": nil])
            ], for: .role)
        await target.setConfigurationRows(
            await target.configurationRows(.policy) + [
                Self.object([
                    "id": .string(editors), "name": "Editors", "icon": "badge", "admin_access": false,
                    "app_access": true,
                ])
            ], for: .policy)
        await target.setConfigurationRows(
            [
                Self.object([
                    "id": 5, "policy": .string(editors), "collection": "city", "action": "read", "fields": ["*"],
                    "permissions": [:], "validation": nil, "presets": nil,
                ])
            ], for: .permission)
        try await withEmulator(target) { url in
            let client = DirectusClient(
                endpoint: DirectusEndpoint(url: url, authentication: .staticToken(Secret(adminToken))),
                httpClient: httpClient, logger: Logger(label: "test"))
            let kinds: [ConfigKind] = [.role, .policy, .access, .permission]
            let before = try await client.configuration(kinds)
            // The source: Authors gets another icon; Editors (and its permission) and Authors' sibling go.
            var source = before
            source.rows[.role] = (before.rows[.role] ?? []).map { row in
                var row = row
                if row["name"] == "Authors" { row["icon"] = "draw" }
                return row
            }
            source.rows[.policy] = (before.rows[.policy] ?? []).filter { $0["name"] != "Editors" }
            source.rows[.permission] = []
            let plan = ConfigPlanner.plan(
                desired: ConfigNormalizer.snapshot(of: source), current: ConfigNormalizer.snapshot(of: before))
            #expect(
                plan.steps.map { "\($0.action.rawValue) \($0.key)" } == [
                    "update role:Authors", "delete policy:Editors",
                ])
            // The update goes, the delete is refused: the update is put back.
            await target.inject(FaultRule(.status(400), path: "/policies/", times: 1, method: "DELETE"))
            let report = await ConfigurationApplier.apply(plan, before: before, on: client)
            #expect(report.failure?.contains("deleted policy:Editors (directus_policies)") == true, "\(report.summary)")
            #expect(report.undone == ["restored icon of role:Authors"])
            #expect(report.notUndone.isEmpty)
            #expect(await target.configurationRows(.role).first { $0["name"] == "Authors" }?["icon"] == "edit")
            let unchanged = try await client.configuration(kinds)
            #expect(
                ConfigNormalizer.snapshot(of: unchanged).contentHash
                    == ConfigNormalizer.snapshot(of: before).contentHash)

            // The policy's delete goes through (Directus takes its permission with it), the role's is refused: the
            // policy comes back under its UUID, the permission under a new id.
            var fewer = source
            fewer.rows[.role] = (source.rows[.role] ?? []).filter { $0["name"] != "Authors" }
            let second = ConfigPlanner.plan(
                desired: ConfigNormalizer.snapshot(of: fewer), current: ConfigNormalizer.snapshot(of: unchanged))
            #expect(
                second.steps.map { "\($0.action.rawValue) \($0.key)" } == [
                    "delete policy:Editors", "delete role:Authors",
                ])
            await target.inject(FaultRule(.status(400), path: "/roles/", times: 1, method: "DELETE"))
            let failed = await ConfigurationApplier.apply(second, before: unchanged, on: client)
            #expect(failed.failure?.contains("deleted role:Authors") == true, "\(failed.summary)")
            #expect(failed.undone.contains("re-created directus_policies \(editors)"), "\(failed.undone)")
            #expect(
                failed.undone.contains { $0.hasPrefix("re-created directus_permissions 5 as ") }, "\(failed.undone)")
            #expect(failed.notUndone.isEmpty, "\(failed.notUndone)")
            let restored = try await client.configuration(kinds)
            #expect(
                ConfigNormalizer.snapshot(of: restored).contentHash == ConfigNormalizer.snapshot(of: before).contentHash
            )
        }
    }
}
