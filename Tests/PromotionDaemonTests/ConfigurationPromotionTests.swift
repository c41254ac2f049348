import DirectusConfig
import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import Testing

/// Configuration promoted with the schema as one release, over three emulators on loopback and a real state file.
@Suite("Configuration promotion end to end")
struct ConfigurationPromotionTests {
    static let kinds: [ConfigKind] = [.role, .policy, .access, .permission, .flow, .operation]

    static let role = "5b0d7c1e-6a8f-4f3e-9d21-3c7a1e2b9f01"
    static let policy = "8e4a2f6d-1b3c-4d5e-8f70-9a1b2c3d4e5f"
    static let flow = "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f"
    static let logOperation = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    static let notifyOperation = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    /// Development's configuration for the new `invoices` collection: a role and its policy, two permissions with
    /// development's own integer ids, and a flow of two chained operations.
    static func accounting(on instance: EmulatedInstance) async {
        await add(
            [
                object([
                    "id": .string(role), "name": "Accountant", "icon": "calculate", "description": nil, "parent": nil,
                ])
            ], .role, to: instance)
        await add(
            [
                object([
                    "id": .string(policy), "name": "Accountants", "icon": "badge", "description": nil,
                    "ip_access": nil, "enforce_tfa": false, "admin_access": false, "app_access": true,
                ])
            ], .policy, to: instance)
        await add(
            [
                object([
                    "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "role": .string(role), "user": nil,
                    "policy": .string(policy), "sort": 1,
                ])
            ], .access, to: instance)
        await add(
            [
                object([
                    "id": 41, "policy": .string(policy), "collection": "invoices", "action": "read",
                    "permissions": [:], "validation": nil, "presets": nil, "fields": ["*"],
                ]),
                object([
                    "id": 42, "policy": .string(policy), "collection": "invoices", "action": "create",
                    "permissions": [:], "validation": nil, "presets": nil, "fields": ["amount"],
                ]),
            ], .permission, to: instance)
        await add(
            [
                object([
                    "id": .string(flow), "name": "Notify accounting", "icon": "bolt", "color": nil,
                    "description": nil, "status": "active", "trigger": "event", "accountability": "all",
                    "options": ["type": "action", "scope": ["items.create"], "collections": ["invoices"]],
                    "operation": .string(logOperation),
                ])
            ], .flow, to: instance)
        await add(
            [
                object([
                    "id": .string(logOperation), "name": "Log", "key": "log", "type": "log", "position_x": 19,
                    "position_y": 1, "options": ["message": "a new invoice"], "resolve": .string(notifyOperation),
                    "reject": nil, "flow": .string(flow),
                ]),
                object([
                    "id": .string(notifyOperation), "name": "Notify", "key": "notify", "type": "notification",
                    "position_x": 37, "position_y": 1, "options": ["subject": "Invoice"], "resolve": nil,
                    "reject": nil, "flow": .string(flow),
                ]),
            ], .operation, to: instance)
    }

    static func add(_ rows: [JSONObject], _ kind: ConfigKind, to instance: EmulatedInstance) async {
        let existing = await instance.configurationRows(kind)
        await instance.setConfigurationRows(existing + rows, for: kind)
    }

    static func rows(_ kind: ConfigKind, of instance: EmulatedInstance) async -> [JSONObject] {
        await instance.configurationRows(kind)
    }

    static func id(_ row: JSONObject?) -> String? { row?["id"].flatMap { $0.stringValue ?? $0.jsonString } }

    static func named(_ name: String, _ kind: ConfigKind, of instance: EmulatedInstance) async -> JSONObject? {
        await rows(kind, of: instance).first { $0["name"]?.stringValue == name }
    }

    @Test("a new collection, its permissions and a flow go to staging and, once approved, to production as one release")
    func oneRelease() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            let engine = try harness.engine(configurationKinds: Self.kinds)
            let productionAdmin = Self.id(await Self.named("Administrator", .role, of: harness.production))
            let devAdmin = Self.id(await Self.named("Administrator", .role, of: harness.dev))
            #expect(productionAdmin != devAdmin)

            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            #expect(try harness.latest("production").state == .awaitingApproval)
            // The plan production waits on shows the configuration beside the schema.
            let waiting = try harness.latest("production")
            let diffID = try #require(waiting.diffID)
            let plan = try #require(try harness.store.configPlan(diffID: diffID))
            let keys = (plan["changes"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
            #expect(keys.contains("role:Accountant"))
            #expect(keys.contains("permission:policy:Accountants/invoices/read"))
            #expect(keys.contains("flow:\(Self.flow)"))
            #expect(await Self.named("Accountant", .role, of: harness.production) == nil)

            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            #expect(await harness.converged())
            for target in [harness.staging, harness.production] {
                // The schema and its configuration, with references translated to the target's ids.
                let role = try #require(await Self.named("Accountant", .role, of: target))
                let policy = try #require(await Self.named("Accountants", .policy, of: target))
                #expect(Self.id(role) == Self.role)
                let access = await Self.rows(.access, of: target)
                #expect(access.contains { $0["role"]?.stringValue == Self.role && $0["policy"] == policy["id"] })
                let permissions = await Self.rows(.permission, of: target).filter {
                    $0["collection"] == "invoices"
                }
                #expect(permissions.count == 2)
                // Integer ids are the target's own, never development's.
                #expect(permissions.allSatisfy { $0["id"] != 41 && $0["id"] != 42 && $0["policy"] == policy["id"] })
                // Flow UUIDs are kept (trigger URLs depend on them); the chain of operations is rebuilt.
                let flows = await Self.rows(.flow, of: target)
                #expect(flows.first?["id"]?.stringValue == Self.flow)
                #expect(flows.first?["operation"]?.stringValue == Self.logOperation)
                let log = await Self.rows(.operation, of: target).first { $0["key"] == "log" }
                #expect(log?["resolve"]?.stringValue == Self.notifyOperation)
            }
            // The built-in records keep the ids each instance gave them.
            #expect(Self.id(await Self.named("Administrator", .role, of: harness.production)) == productionAdmin)

            // A later change to a permission updates the target's record in place: its id stays.
            let before = await Self.rows(.permission, of: harness.production).first { $0["action"] == "create" }
            var devPermissions = await Self.rows(.permission, of: harness.dev)
            for index in devPermissions.indices where devPermissions[index]["id"] == 42 {
                devPermissions[index]["fields"] = ["amount", "date"]
            }
            await harness.dev.setConfigurationRows(devPermissions, for: .permission)
            _ = await engine.tick()
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            let after = await Self.rows(.permission, of: harness.production).first { $0["action"] == "create" }
            #expect(Self.id(after) == Self.id(before))
            #expect(after?["fields"] == ["amount", "date"])
            let revision = try #require(try harness.store.latestRevision())
            #expect(revision.configHash != nil)
        }
    }

    @Test("a failure in the middle of the configuration phase is compensated, and the audit says what was undone")
    func compensation() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            let rolesBefore = await Self.rows(.role, of: harness.staging)
            let policiesBefore = await Self.rows(.policy, of: harness.staging)
            // Staging refuses the first operation: roles, policies, access, permissions and the flow exist by then.
            await harness.staging.inject(FaultRule(.status(500), path: "/operations", times: 1, method: "POST"))
            let engine = try harness.engine(configurationKinds: Self.kinds)
            _ = await engine.tick()
            let promotion = try harness.latest("staging")
            #expect(promotion.state == .failed)
            // Everything the apply wrote is gone again; the schema went first and stays.
            #expect(await Self.rows(.role, of: harness.staging) == rolesBefore)
            #expect(await Self.rows(.policy, of: harness.staging) == policiesBefore)
            #expect(await Self.rows(.permission, of: harness.staging).isEmpty)
            #expect(await Self.rows(.flow, of: harness.staging).isEmpty)
            #expect(await Self.rows(.operation, of: harness.staging).isEmpty)
            #expect(await harness.staging.schema().collections.contains { $0["collection"] == "invoices" })
            let events = try harness.store.events(promotionID: promotion.id).map(\.message).joined(separator: "\n")
            #expect(events.contains("the configuration apply failed at created operation:flow:\(Self.flow)/"))
            #expect(events.contains("removed role:Accountant, which the apply had created"))
            #expect(events.contains("removed flow:\(Self.flow), which the apply had created"))
            #expect(!events.contains("could not undo"))
            #expect(try harness.latest("production").state == .queued)

            // A retry after the fault plans the remaining configuration and lands it.
            try harness.decide(.retry, "staging")
            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            #expect(await Self.rows(.operation, of: harness.staging).count == 2)
        }
    }

    @Test("configuration drift on production is reported once and can be accepted")
    func drift() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            let engine = try harness.engine(configurationKinds: Self.kinds)
            _ = await engine.tick()
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            #expect(try harness.store.configExpectation(environment: "production") != nil)

            // Someone widens a permission directly on production.
            var permissions = await Self.rows(.permission, of: harness.production)
            for index in permissions.indices where permissions[index]["action"] == "create" {
                permissions[index]["fields"] = ["*"]
            }
            await harness.production.setConfigurationRows(permissions, for: .permission)
            _ = await engine.tick()
            let drift = try #require(try harness.store.configDrift(environment: "production"))
            #expect(drift.summary.contains("permission:policy:Accountants/invoices/create changed (fields)"))
            _ = await engine.tick()
            let listing = try DriftListing(store: harness.store)
            #expect(listing.configurationDrifts.map(\.environment) == ["production"])
            #expect(listing.text(now: Date()).contains("configuration"))
            let detected = try harness.store.recentEvents(limit: 100, kind: "drift.detected")
            #expect(detected.filter { $0.environment == "production" }.count == 1)

            _ = try harness.store.acceptConfigDrift(environment: "production", actor: "alice", comment: nil, at: Date())
            _ = await engine.tick()
            #expect(try harness.store.configDrift(environment: "production") == nil)
            #expect(try harness.store.configExpectation(environment: "production")?.reason == .accepted)
        }
    }

    @Test("destructive: never keeps a role deleted on development; staging deletes it")
    func neverDeletes() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            let engine = try harness.engine(configurationKinds: Self.kinds) { settings in
                if settings.name == "production" { settings.destructive = .never }
            }
            _ = await engine.tick()
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)

            // The role goes on development (with its access row, as Directus cascades).
            let devRoles = await Self.rows(.role, of: harness.dev).filter { $0["name"] != "Accountant" }
            await harness.dev.setConfigurationRows(devRoles, for: .role)
            let devAccess = await Self.rows(.access, of: harness.dev).filter { $0["role"]?.stringValue != Self.role }
            await harness.dev.setConfigurationRows(devAccess, for: .access)
            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            #expect(await Self.named("Accountant", .role, of: harness.staging) == nil)
            let production = try harness.latest("production")
            if production.state == .awaitingApproval {
                try harness.decide(.approve, "production")
                _ = await engine.tick()
            }
            #expect(await Self.named("Accountant", .role, of: harness.production) != nil)
            #expect(await Self.rows(.access, of: harness.production).contains { $0["role"]?.stringValue == Self.role })
        }
    }

    @Test("a role that matches two on the target waits for a person, then lands on the one they name")
    func ambiguity() async throws {
        try await withPipeline(dev: baseSnapshot) { harness in
            await Self.add(
                [Self.object(["id": .string(Self.role), "name": "Editor", "icon": "edit", "parent": nil])], .role,
                to: harness.dev)
            let first = "aaaaaaaa-0000-4000-8000-000000000001"
            let second = "aaaaaaaa-0000-4000-8000-000000000002"
            await Self.add(
                [
                    Self.object(["id": .string(first), "name": "Editor", "icon": "edit", "parent": nil]),
                    Self.object(["id": .string(second), "name": "Editor", "icon": "draw", "parent": nil]),
                ], .role, to: harness.staging)
            let engine = try harness.engine(configurationKinds: [.role])
            _ = await engine.tick()
            let blocked = try harness.latest("staging")
            #expect(blocked.state == .blocked)
            #expect(blocked.lastError?.contains("role:Editor (1 on the source, 2 on the target)") == true)

            try harness.store.recordIdentity(
                source: "development", target: "staging", kind: .role, sourceID: Self.role, targetID: second,
                origin: .confirmed, actor: "alice", message: "alice: role:Editor is \(second)", at: Date())
            try harness.decide(.retry, "staging")
            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            let roles = await Self.rows(.role, of: harness.staging)
            // The named record took the source's fields; the other, matched by nothing, was deleted (staging
            // allows destructive plans).
            #expect(roles.first { Self.id($0) == second }?["icon"] == "edit")
            #expect(!roles.contains { Self.id($0) == first })
        }
    }

    @Test("a rollback restores the configuration a target had before the promotion")
    func rollback() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            let engine = try harness.engine(configurationKinds: Self.kinds)
            let rolesBefore = await Self.rows(.role, of: harness.staging)
            _ = await engine.tick()
            let promoted = try harness.latest("staging")
            #expect(promoted.state == .applied)
            #expect(promoted.preApplyConfigHash != nil)
            #expect(await Self.named("Accountant", .role, of: harness.staging) != nil)

            let rollback = try harness.store.createRollback(
                of: promoted, actor: "alice", comment: nil, at: harness.now())
            #expect(try harness.store.revision(id: rollback.revisionID)?.configHash == promoted.preApplyConfigHash)
            _ = await engine.tick()
            #expect(try harness.store.promotion(id: rollback.id)?.state == .applied)
            #expect(await Self.rows(.role, of: harness.staging) == rolesBefore)
            #expect(await Self.rows(.flow, of: harness.staging).isEmpty)
            #expect(await Self.rows(.permission, of: harness.staging).isEmpty)
        }
    }

    @Test("plan ENV, show, the web view and drift show render the configuration as the daemon plans it")
    func renderings() async throws {
        let devSchema = withCollection("invoices", on: baseSnapshot)
        try await withPipeline(dev: devSchema) { harness in
            await Self.accounting(on: harness.dev)
            var configuration = WebViewTests.configuration(harness)
            configuration.configurationKinds = Self.kinds
            let online = await OnlineCheck.run(configuration, http: httpClient)
            #expect(online.ok)
            #expect(
                online.lines.contains {
                    $0.hasPrefix(
                        "  ✓ development: configuration readable: 2 roles, 3 policies, 3 access, 2 permissions")
                }, "\(online.lines)")
            let preview = try await PlanPreview.make(target: "staging", configuration: configuration, http: httpClient)
            #expect(preview.hasChanges)
            let planned = try #require(preview.configuration)
            #expect(planned.changes.map(\.key).contains("role:Accountant"))
            let text = preview.text(color: false)
            #expect(text.contains("Configuration:"))
            #expect(text.contains("  + role:Accountant"))
            #expect(text.contains("  + flow:\(Self.flow)"))

            // The daemon plans the same: its stored plan for staging has the same changes.
            let engine = try harness.engine(configurationKinds: Self.kinds) { settings in
                if settings.name == "production" { settings.destructive = .approve }
            }
            _ = await engine.tick()
            let waiting = try harness.latest("production")
            let detail = try #require(
                try PromotionDetail(id: waiting.id, store: harness.store, configuration: configuration))
            let stored = (detail.configurationPlan?["changes"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
            #expect(stored.sorted() == planned.changes.map(\.key).sorted())
            #expect(
                detail.text(now: harness.now(), color: false).contains(
                    "  + permission:policy:Accountants/invoices/read"))
            let page = WebViewTests.text(
                await WebViewTests.get(
                    WebViewTests.web(harness), "/promotions/\(waiting.id)", configuration))
            #expect(page.contains("Configuration changes, in the order they are written"))
            #expect(page.contains("role:Accountant"))

            try harness.decide(.approve, "production")
            _ = await engine.tick()
            var roles = await Self.rows(.role, of: harness.production)
            for index in roles.indices where roles[index]["name"] == "Accountant" { roles[index]["icon"] = "money" }
            await harness.production.setConfigurationRows(roles, for: .role)
            _ = await engine.tick()
            let drift = try #require(
                try DriftDetail(environment: "production", store: harness.store, configuration: configuration))
            #expect(drift.schemaDrift == nil)
            #expect(drift.configurationLines == ["~ role:Accountant (icon)"])
            #expect(drift.text(now: harness.now(), color: false).contains("Configuration drift on production"))
        }
    }
}
