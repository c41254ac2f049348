import DirectusConfig
import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `directus-promoter run` promoting configuration with the schema, as a real process over three emulators.
@Suite("Configuration promotion, as real processes", .serialized)
struct ConfigurationProcessTests {
    static let role = "3f5e1c2a-7b8d-4e9f-a0b1-c2d3e4f5a6b7"
    static let policy = "4a6f2d3b-8c9e-4f0a-b1c2-d3e4f5a6b7c8"
    static let flow = "5b7a3e4c-9d0f-4a1b-82c3-e4f5a6b7c8d9"

    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    /// A reviewer role with its policy, a permission on `articles` (development's own integer id) and a flow.
    static func seed(_ instance: EmulatedInstance) async {
        func add(_ rows: [JSONObject], _ kind: ConfigKind) async {
            await instance.setConfigurationRows(await instance.configurationRows(kind) + rows, for: kind)
        }
        await add([object(["id": .string(role), "name": "Reviewer", "icon": "rate_review", "parent": nil])], .role)
        await add(
            [
                object([
                    "id": .string(policy), "name": "Reviewers", "icon": "badge", "ip_access": nil,
                    "enforce_tfa": false, "admin_access": false, "app_access": true,
                ])
            ], .policy)
        await add(
            [object(["id": "6c8b4f5d-0e1a-4b2c-93d4-f5a6b7c8d9e0", "role": .string(role), "policy": .string(policy)])],
            .access)
        await add(
            [
                object([
                    "id": 77, "policy": .string(policy), "collection": "articles", "action": "update",
                    "permissions": [:], "validation": nil, "presets": nil, "fields": ["summary"],
                ])
            ], .permission)
        await add(
            [
                object([
                    "id": .string(flow), "name": "Review reminder", "status": "active", "trigger": "schedule",
                    "options": ["cron": "0 9 * * 1"], "operation": nil,
                ])
            ], .flow)
    }

    @Test("a field, its permission and a flow go out as one release; drift on production is shown and accepted")
    func release() async throws {
        try await withDaemonHarness { h in
            await Self.seed(h.dev)
            try h.writeConfig(
                extra: """
                    promote: [schema, configuration]
                    configuration:
                      collections: [roles, policies, access, permissions, flows, operations]
                    """)
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            // Every step reads six collections on each instance: a loaded machine takes a while.
            #expect(try await eventually(300) { h.latest("production")?.state == .awaitingApproval }, "\(h.log)")
            let id = try #require(h.latest("production")?.id)
            let show = try await h.cli(["show", "\(id)"])
            #expect(show.standardOutput.contains("Configuration"), "\(show.standardOutput)")
            #expect(show.standardOutput.contains("  + role:Reviewer"))
            #expect(show.standardOutput.contains("  + permission:policy:Reviewers/articles/update"))
            let approve = try await h.cli(["approve", "\(id)"])
            #expect(approve.status == 0, "\(approve.standardError)")
            #expect(try await eventually(300) { h.latest("production")?.state == .applied }, "\(h.log)")

            let permissions = await h.production.configurationRows(.permission)
            try #require(permissions.count == 1)
            #expect(permissions.first?["id"] != 77, "the target's own integer id")
            #expect(permissions.first?["policy"]?.stringValue == Self.policy)
            #expect(await h.production.configurationRows(.flow).first?["id"]?.stringValue == Self.flow)
            #expect(await h.production.schema().fields.contains { $0["field"] == "summary" })

            // Someone widens the permission on production: configuration drift, then accepted.
            var edited = permissions
            edited[0]["fields"] = ["*"]
            await h.production.setConfigurationRows(edited, for: .permission)
            var listing = try await h.cli(["drift", "list"])
            #expect(
                try await eventually(300) {
                    listing = try await h.cli(["drift", "list"])
                    return listing.standardOutput.contains("configuration")
                }, "\(h.log)")
            #expect(listing.status == 3)
            #expect(listing.standardOutput.contains("permission:policy:Reviewers/articles/update changed (fields)"))
            let accept = try await h.cli(["drift", "accept", "production"])
            #expect(accept.status == 0, "\(accept.standardError)")
            #expect(accept.standardOutput.contains("its current configuration"))
            #expect(try await h.cli(["drift", "list"]).status == 0)
            let mappings = try await h.cli(["config", "mappings", "production", "--json"])
            let entries = try JSONParser.parse(mappings.standardOutput).arrayValue ?? []
            #expect(entries.contains { $0["kind"] == "role" && $0["origin"] == "created" })
            #expect(try await stop(daemon) == 0)
        }
    }
}
