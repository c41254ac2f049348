import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// Drift, ignore rules, destructive policies, the system index guard, windows and soak times, end to end over
/// three emulators.
@Suite("Safety policies", .serialized)
struct SafetyTests {
    /// Runs ticks until both targets have the latest revision applied (approving production as needed).
    func settle(_ h: PipelineHarness, _ engine: PromotionEngine) async throws {
        _ = await engine.tick()
        if try h.latest("production").state == .awaitingApproval {
            try h.decide(.approve, "production", allowDestructive: true)
            _ = await engine.tick()
        }
    }

    @Test("drift made on production is detected once, re-plans a waiting promotion, and can be accepted")
    func driftDetectedOnceThenAccepted() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            try await settle(h, engine)
            #expect(try h.latest("production").state == .applied)
            #expect(try h.store.drift(environment: "production") == nil)

            let added = await h.production.makeDrift()
            for _ in 0..<3 { _ = await engine.tick() }
            let drift = try #require(try h.store.drift(environment: "production"))
            #expect(drift.summary.contains("+ field \(added)"), "\(drift.summary)")
            let detected = try h.store.recentEvents(limit: 100, kind: "drift.detected")
            #expect(detected.count == 1, "one event per distinct drift, not per poll")
            #expect(try h.store.drift(environment: "staging") == nil)

            // A plan waiting for approval is made again against what production has: it now deletes the field.
            await h.dev.replaceSchema(withField("area", on: withField("population")))
            _ = await engine.tick()
            let waiting = try h.latest("production")
            #expect(waiting.state == .awaitingApproval)
            let planned = try #require(try h.store.diff(id: waiting.diffID ?? -1))
            #expect(planned.deletes == 1, "the plan shows the drifted field going away")

            _ = try h.store.acceptDrift(environment: "production", actor: "ops", comment: "hotfix", at: h.now())
            _ = await engine.tick()
            #expect(try h.store.drift(environment: "production") == nil)
            #expect(try h.store.expectation(environment: "production")?.reason == .accepted)
            #expect(try h.store.recentEvents(limit: 100, kind: "drift.detected").count == 1)
        }
    }

    @Test("an unchanged body is recognised without reading it again; a changed one is read, and drift still found")
    func unchangedBodies() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            let first = await engine.tick()
            #expect(first.unchangedBodies.isEmpty, "nothing is known after a start")
            try await settle(h, engine)
            _ = await engine.tick()  // the first poll of production since the apply changed it
            let quiet = await engine.tick()
            #expect(quiet.unchangedBodies == ["development", "staging", "production"])
            #expect(quiet.newRevision == nil)
            let hash = try #require(try h.store.latestObservation(environment: "production")?.snapshotHash)
            #expect(hash == (try h.store.expectation(environment: "production")?.snapshotHash))

            // A change made on production: a new body, read, and drift found against the expectation.
            let added = await h.production.makeDrift()
            let drifted = await engine.tick()
            #expect(!drifted.unchangedBodies.contains("production"))
            #expect(try h.store.drift(environment: "production")?.summary.contains(added) == true)
            // The drifted body again: unchanged, and the drift stays recorded once.
            let again = await engine.tick()
            #expect(again.unchangedBodies.contains("production"))
            #expect(try h.store.recentEvents(limit: 100, kind: "drift.detected").count == 1)
            // The expectation moves under an unchanged body (accepted): judged from history, not from the body.
            _ = try h.store.acceptDrift(environment: "production", actor: "ops", comment: nil, at: h.now())
            let accepted = await engine.tick()
            #expect(accepted.unchangedBodies.contains("production"))
            #expect(try h.store.drift(environment: "production") == nil)
        }
    }

    @Test("an upgrade of a target's Directus is recorded as an upgrade, not as drift")
    func upgradeIsNotDrift() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            try await settle(h, engine)
            await h.staging.upgrade(to: "11.17.5")
            _ = await engine.tick()
            #expect(try h.store.drift(environment: "staging") == nil)
            #expect(try h.store.expectation(environment: "staging")?.reason == .upgraded)
            let upgraded = try h.store.recentEvents(limit: 50, kind: "expectation.upgraded")
            #expect(upgraded.first?.message.contains("11.17.5") == true)
        }
    }

    @Test("ignored fields neither drift nor get overwritten")
    func ignoredFields() async throws {
        // Production owns city.internal_*: it has one that development does not.
        let production = withField("internal_score", on: baseSnapshot)
        try await withPipeline { h in
            await h.production.replaceSchema(production)
            let engine = try h.engine { if $0.name == "production" { $0.ignore = IgnoreRules(["city.internal_*"]) } }
            try await settle(h, engine)
            #expect(try h.latest("production").state == .applied)
            let fields = await h.production.schema().fields.compactMap { $0["field"]?.stringValue }
            #expect(fields.contains("internal_score"), "not deleted by the promotion")
            #expect(fields.contains("population"), "the promoted change landed")
            // Changing the owned field on production is not drift.
            await h.production.replaceSchema(
                withField("internal_rank", on: withField("internal_score", on: withField("population"))))
            _ = await engine.tick()
            #expect(try h.store.drift(environment: "production") == nil)
        }
    }

    @Test("a destructive plan is held for explicit approval, with the rows the deleted collection holds")
    func destructiveHeldWithRowCount() async throws {
        let targets = withCollection("legacy", on: baseSnapshot)
        try await withPipeline(dev: baseSnapshot, targets: targets) { h in
            await h.production.setRowCount(1234, for: "legacy")
            // The default for production: destructive plans need --allow-destructive.
            let engine = try h.engine { if $0.name == "production" { $0.destructive = .approve } }
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied, "staging allows destructive changes by default")
            let production = try h.latest("production")
            #expect(production.state == .awaitingApproval)
            let planned = try #require(try h.store.events(promotionID: production.id).last)
            #expect(planned.message.contains("legacy (1234 rows)"), "\(planned.message)")
            #expect(planned.message.contains("--allow-destructive"))

            // An approval without --allow-destructive is not enough.
            try h.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try h.latest("production").state == .awaitingApproval)
            try h.decide(.approve, "production", actor: "bob", allowDestructive: true)
            _ = await engine.tick()
            #expect(try h.latest("production").state == .applied)
            #expect(await h.converged())
        }
    }

    @Test("destructive: never applies everything except the deletions, and reports them")
    func neverDestructive() async throws {
        let dev = withField("population", on: withoutField("name", in: "city", of: baseSnapshot))
        try await withPipeline(dev: dev) { h in
            let engine = try h.engine { if $0.name == "staging" { $0.destructive = .never } }
            _ = await engine.tick()
            let staging = try h.latest("staging")
            #expect(staging.state == .applied)
            let fields = await h.staging.schema().fields.filter { $0["collection"] == "city" }.compactMap {
                $0["field"]?.stringValue
            }
            #expect(fields.contains("population"))
            #expect(fields.contains("name"), "the deletion was left out")
            let messages = try h.store.events(promotionID: staging.id).map(\.message)
            #expect(messages.contains { $0.contains("never applied (destructive: never): delete field city.name") })
            #expect(try h.store.drift(environment: "staging") == nil, "what was left out is not drift")
        }
    }

    @Test("an 11.12 source against an 11.13+ target keeps the target's system indexes")
    func systemIndexesKept() async throws {
        let source = labelled(withField("population"), version: "11.12.0", systemFields: nil)
        let targets = labelled(baseSnapshot, version: "11.17.4", systemFields: indexedSystemFields)
        try await withPipeline(dev: source, targets: targets, devVersion: "11.12.0") { h in
            let engine = try h.engine { $0.force = $0.name != "development" }
            try await settle(h, engine)
            #expect(try h.latest("staging").state == .applied)
            let indexes = await h.staging.schema().root["systemFields"]?.arrayValue ?? []
            #expect(indexes.count == 2)
            #expect(indexes.allSatisfy { $0["schema"]?["is_indexed"] == true }, "no system index dropped")
            let fields = await h.staging.schema().fields.compactMap { $0["field"]?.stringValue }
            #expect(fields.contains("population"))
        }
    }

    @Test("with system_indexes: manage, the same promotion drops them, as Directus would")
    func systemIndexesManaged() async throws {
        let source = labelled(withField("population"), version: "11.12.0", systemFields: nil)
        let targets = labelled(baseSnapshot, version: "11.17.4", systemFields: indexedSystemFields)
        try await withPipeline(dev: source, targets: targets, devVersion: "11.12.0") { h in
            let engine = try h.engine {
                $0.force = $0.name != "development"
                $0.manageSystemIndexes = true
            }
            _ = await engine.tick()
            let indexes = await h.staging.schema().root["systemFields"]?.arrayValue ?? []
            #expect(indexes.allSatisfy { $0["schema"]?["is_indexed"] == false })
        }
    }

    @Test("a change outside the promotion window waits for it")
    func window() async throws {
        try await withPipeline { h in
            // The harness clock starts at 2027-01-15 08:00 UTC (a Friday).
            let window = PromotionWindow(
                days: Set(1...7), start: 9 * 60, end: 17 * 60, timeZone: TimeZone(identifier: "UTC")!)
            let engine = try h.engine { if $0.name == "staging" { $0.windows = [window] } }
            _ = await engine.tick()
            let waiting = try h.latest("staging")
            #expect(waiting.state == .approved)
            #expect(waiting.lastError?.contains("outside staging's promotion windows") == true)
            #expect(waiting.lastError?.contains("2027-01-15T09:00:00Z") == true)
            #expect(await h.staging.applyCount() == 0)
            h.clock.advance(by: 3600)
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
        }
    }

    @Test("production starts a revision only after it soaked on staging")
    func soak() async throws {
        try await withPipeline { h in
            let engine = try h.engine { if $0.name == "production" { $0.soak = .seconds(3600) } }
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
            let production = try h.latest("production")
            #expect(production.state == .queued)
            #expect(production.lastError?.hasPrefix("soaking") == true)
            h.clock.advance(by: 1800)
            _ = await engine.tick()
            #expect(try h.latest("production").state == .queued)
            h.clock.advance(by: 1801)
            _ = await engine.tick()
            #expect(try h.latest("production").state == .awaitingApproval)
        }
    }

    @Test("rollback restores the previous schema through the target's approvals, and is not drift afterwards")
    func rollback() async throws {
        try await withPipeline { h in
            let before = await h.production.schema()
            let engine = try h.engine { if $0.name == "production" { $0.destructive = .approve } }
            try await settle(h, engine)
            let applied = try h.latest("production")
            #expect(applied.state == .applied)
            #expect(applied.preApplySnapshotHash == before.contentHash)

            let candidate = try #require(try h.store.latestRollbackCandidate(environment: "production"))
            #expect(candidate.id == applied.id)
            let rollback = try h.store.createRollback(of: candidate, actor: "ops", comment: "bad field", at: h.now())
            _ = await engine.tick()
            var state = try h.store.promotion(id: rollback.id)
            #expect(state?.state == .awaitingApproval, "production's approvals apply to a rollback too")
            let planned = try h.store.events(promotionID: rollback.id).map(\.message)
            #expect(planned.contains { $0.contains("planning the rollback of production") })
            #expect(planned.contains { $0.contains("1 to delete (1 destructive)") })
            try h.store.recordDecision(
                promotionID: rollback.id, kind: .approve, actor: "alice", comment: nil, allowDestructive: true,
                at: h.now())
            _ = await engine.tick()
            state = try h.store.promotion(id: rollback.id)
            #expect(state?.state == .applied)
            let fields = await h.production.schema().fields.compactMap { $0["field"]?.stringValue }
            #expect(!fields.contains("population"), "the promoted field is gone again")
            #expect(await h.staging.schema().fields.contains { $0["field"] == "population" }, "staging untouched")
            #expect(try h.store.expectation(environment: "production")?.reason == .rolledBack)
            _ = await engine.tick()
            #expect(try h.store.drift(environment: "production") == nil)
            #expect(try h.store.latestRevision(environment: "development")?.id == applied.revisionID)
        }
    }

    @Test("windows, ignore patterns and days read as operators write them")
    func policyUnits() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let window = PromotionWindow(days: Set(1...5), start: 9 * 60, end: 17 * 60, timeZone: berlin)
        let friday10 = Date(timeIntervalSince1970: 1_800_000_000 + 3600)  // 2027-01-15 09:00 UTC = 10:00 Berlin
        #expect(window.contains(friday10))
        let saturday = friday10.addingTimeInterval(86_400)
        #expect(!window.contains(saturday))
        #expect(window.nextOpening(after: saturday) == friday10.addingTimeInterval(3 * 86_400 - 3600))
        let overnight = PromotionWindow(days: [5], start: 22 * 60, end: 2 * 60, timeZone: TimeZone(identifier: "UTC")!)
        #expect(overnight.contains(Date(timeIntervalSince1970: 1_800_000_000 + 15 * 3600)))  // Fri 23:00
        #expect(overnight.contains(Date(timeIntervalSince1970: 1_800_000_000 + 17 * 3600)))  // Sat 01:00
        #expect(!overnight.contains(Date(timeIntervalSince1970: 1_800_000_000 + 19 * 3600)))  // Sat 03:00

        let rules = IgnoreRules(["analytics_*", "articles.internal_*", "*.legacy"])
        #expect(rules.matches(collection: "analytics_daily", field: nil))
        #expect(rules.matches(collection: "analytics_daily", field: "id"))
        #expect(rules.matches(collection: "articles", field: "internal_note"))
        #expect(!rules.matches(collection: "articles", field: "title"))
        #expect(!rules.matches(collection: "articles", field: nil))
        #expect(rules.matches(collection: "pages", field: "legacy"))
    }
}
