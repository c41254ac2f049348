import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// The engine end to end: three emulators over real HTTP, a real SQLite file, an injected clock.
@Suite("Promotion engine", .serialized)
struct EngineTests {
    @Test("a change on development reaches staging automatically, waits for approval on production, then lands")
    func happyPath() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            let first = await engine.tick()
            #expect(first.newRevision != nil)
            #expect(first.problems.isEmpty)
            #expect(try h.latest("staging").state == .applied)
            #expect(try h.latest("production").state == .awaitingApproval)
            #expect(await h.staging.applyCount() == 1)
            #expect(await h.production.applyCount() == 0)

            // Nothing changes without a decision.
            _ = await engine.tick()
            #expect(try h.latest("production").state == .awaitingApproval)

            try h.decide(.approve, "production")
            _ = await engine.tick()
            let production = try h.latest("production")
            #expect(production.state == .applied)
            #expect(production.attempts == 1)
            #expect(await h.production.applyCount() == 1)
            #expect(await h.converged())

            let kinds = try h.store.events(promotionID: production.id).map(\.kind)
            #expect(
                kinds == [
                    "promotion.created", "promotion.planning", "promotion.awaiting_approval", "decision.approve",
                    "promotion.approved", "promotion.applying", "promotion.verifying", "promotion.applied",
                ])
            let approval = try h.store.events(promotionID: production.id).first { $0.kind == "promotion.approved" }
            #expect(approval?.actor == "alice")

            // A quiet tick afterwards: no new revision, no apply.
            let quiet = await engine.tick()
            #expect(quiet.newRevision == nil && quiet.transitions.isEmpty)
            #expect(await h.staging.applyCount() == 1)
            #expect(await h.production.applyCount() == 1)
        }
    }

    @Test("a rejected promotion stays rejected and production keeps its schema")
    func rejection() async throws {
        try await withPipeline { h in
            let before = await h.production.schema().contentHash
            let engine = try h.engine()
            _ = await engine.tick()
            try h.decide(.reject, "production", actor: "bob")
            _ = await engine.tick()
            _ = await engine.tick()
            #expect(try h.latest("production").state == .rejected)
            #expect(await h.production.applyCount() == 0)
            #expect(await h.production.schema().contentHash == before)
            // A second decision on a finished promotion is consumed with the reason, not acted on.
            try h.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try h.latest("production").state == .rejected)
            #expect(try h.store.pendingDecisions().isEmpty)
            let ignored = try h.store.events(promotionID: h.latest("production").id).last
            #expect(ignored?.kind == "decision.ignored")
        }
    }

    @Test("a newer revision supersedes a promotion still waiting for approval")
    func supersede() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            _ = await engine.tick()
            let old = try h.latest("production")
            #expect(old.state == .awaitingApproval)

            await h.dev.replaceSchema(withField("area", on: withField("population")))
            let second = await engine.tick()
            #expect(second.newRevision != nil)
            #expect(try h.store.promotion(id: old.id)?.state == .superseded)
            #expect(try h.latest("staging").state == .applied)
            #expect(try h.latest("production").state == .awaitingApproval)
            try h.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try h.latest("production").state == .applied)
            #expect(await h.production.applyCount() == 1, "one apply carries both changes")
            #expect(await h.converged())
        }
    }

    @Test("the target changed where the diff writes anyway: same content, the approval stands")
    func staleUnchangedDiff() async throws {
        let dev = withNote("The city's official name", on: "name", of: baseSnapshot)
        try await withPipeline(dev: dev) { h in
            let engine = try h.engine()
            _ = await engine.tick()
            let planned = try #require(try h.latest("production").diffID.flatMap { try h.store.diff(id: $0) })

            // Someone edits the same note directly on production: Directus's hash moves, the changes do not.
            await h.production.replaceSchema(withNote("edited on production", on: "name", of: baseSnapshot))
            try h.decide(.approve, "production")
            _ = await engine.tick()
            let production = try h.latest("production")
            #expect(production.state == .applied)
            let fresh = try #require(
                try h.store.events(promotionID: production.id).first { $0.message.hasPrefix("fresh diff") })
            #expect(fresh.kind == "promotion.applying")
            let applied = try #require(try h.store.diff(id: production.diffID ?? -1))
            #expect(applied.directusHash != planned.directusHash)
            #expect(applied.contentKey == planned.contentKey)
            #expect(await h.converged())
        }
    }

    @Test("the target changed so that the diff differs: approval is needed again")
    func staleChangedDiff() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            _ = await engine.tick()
            await h.production.makeDrift()
            try h.decide(.approve, "production")
            _ = await engine.tick()
            let production = try h.latest("production")
            #expect(production.state == .awaitingApproval)
            #expect(await h.production.applyCount() == 0)
            try h.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try h.latest("production").state == .applied)
            #expect(await h.converged())
        }
    }

    @Test("the apply itself finds a stale hash: diff again and, automatic, go on with the new diff")
    func staleAtApply() async throws {
        try await withPipeline { h in
            await h.staging.inject(FaultRule(.driftBeforeHandling, path: "/schema/apply"))
            let engine = try h.engine()
            _ = await engine.tick()
            let staging = try h.latest("staging")
            #expect(staging.state == .applied)
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 2)
            #expect(await h.staging.applyCount() == 1)
            let kinds = try h.store.events(promotionID: staging.id).map(\.kind)
            #expect(kinds.contains("promotion.stale"))
        }
    }

    @Test("an apply that answers 500 fails once, is not sent again until a retry, then lands")
    func applyServerError() async throws {
        try await withPipeline { h in
            await h.staging.inject(FaultRule(.status(500), path: "/schema/apply"))
            let engine = try h.engine()
            _ = await engine.tick()
            _ = await engine.tick()
            let failed = try h.latest("staging")
            #expect(failed.state == .failed)
            #expect(failed.lastError?.contains("500") == true)
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 1)
            #expect(try h.latest("production").state == .queued, "production waits for staging")

            try h.decide(.retry, "staging", actor: "ops")
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 2)
            #expect(try h.latest("production").state == .awaitingApproval)
        }
    }

    @Test("an apply that times out after really applying is verified, never sent again")
    func applyTimeoutAfterApplying() async throws {
        try await withPipeline { h in
            await h.staging.inject(FaultRule(.delayResponse(.seconds(3)), path: "/schema/apply"))
            let engine = try h.engine(timeout: .seconds(1))
            _ = await engine.tick()
            let staging = try h.latest("staging")
            #expect(staging.state == .applied)
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 1)
            #expect(await h.staging.applyCount() == 1)
            let messages = try h.store.events(promotionID: staging.id).map(\.message)
            #expect(messages.contains { $0.contains("answer was lost") })
        }
    }

    @Test("a target across a snapshot format change is blocked naming both releases; force: true lets it through")
    func formatMismatch() async throws {
        try await withPipeline(productionVersion: "12.0.0") { h in
            _ = try await h.engine().tick()
            let blocked = try h.latest("production")
            #expect(blocked.state == .blocked)
            #expect(blocked.lastError?.contains("11.17.4") == true)
            #expect(blocked.lastError?.contains("12.0.0") == true)
            #expect(blocked.lastError?.contains("force: true on production") == true)
            #expect(await h.production.requestCount(method: "POST", path: "/schema/diff") == 0, "nothing was sent")

            let forced = try h.engine { if $0.name == "production" { $0.force = true } }
            try h.decide(.retry, "production", actor: "ops")
            _ = await forced.tick()
            #expect(try h.latest("production").state == .awaitingApproval)
            try h.decide(.approve, "production")
            _ = await forced.tick()
            #expect(try h.latest("production").state == .applied)
            #expect(await h.converged())
        }
    }

    @Test("releases of one snapshot format promote without force: the diff goes with force past the label check")
    func acrossReleasesOfOneFormat() async throws {
        try await withPipeline(devVersion: "12.4.0", stagingVersion: "12.4.0", productionVersion: "12.3.0") { h in
            let engine = try h.engine()
            _ = await engine.tick()
            try h.decide(.approve, "production")
            _ = await engine.tick()
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
            #expect(try h.latest("production").state == .applied)
            #expect(await h.converged())
            let stagingDiffs = await h.staging.queries(method: "POST", path: "/schema/diff")
            #expect(stagingDiffs.allSatisfy { $0["force"] == nil }, "the same release needs no force")
            let productionDiffs = await h.production.queries(method: "POST", path: "/schema/diff")
            #expect(!productionDiffs.isEmpty && productionDiffs.allSatisfy { $0["force"] == "true" })
            let messages = try h.store.events(promotionID: try h.latest("production").id).map(\.message)
            #expect(messages.contains { $0.contains("same snapshot format") })
        }
    }

    @Test("a 12.2+ source is polled without the collections its ignore rules name")
    func sourceExcludes() async throws {
        var dev = withField("population")
        dev.collections.append([
            "collection": "scratch", "meta": ["collection": "scratch"], "schema": ["name": "scratch"],
        ])
        try await withPipeline(dev: dev, devVersion: "12.4.0", stagingVersion: "12.4.0", productionVersion: "12.4.0") {
            h in
            let engine = try h.engine { if $0.name == "development" { $0.ignore = IgnoreRules(["scratch", "tmp_*"]) } }
            _ = await engine.tick()
            let polls = await h.dev.queries(method: "GET", path: "/schema/snapshot")
            #expect(!polls.isEmpty && polls.allSatisfy { $0["excludeCollections"] == "scratch" })
            let revision = try #require(try h.store.latestRevision())
            let stored = try #require(try h.store.snapshot(hash: revision.snapshotHash))
            #expect(stored.formatVersion == 2)
            #expect(!stored.collections.contains { $0["collection"] == "scratch" })
            #expect(try h.latest("staging").state == .applied)
            let staging = await h.staging.schema()
            #expect(staging.fields.contains { $0["field"] == "population" })
            #expect(!staging.collections.contains { $0["collection"] == "scratch" })
        }
        // An 11.x source does not read the scope: it is not sent.
        try await withPipeline(dev: dev) { h in
            let engine = try h.engine { if $0.name == "development" { $0.ignore = IgnoreRules(["scratch"]) } }
            _ = await engine.tick()
            let polls = await h.dev.queries(method: "GET", path: "/schema/snapshot")
            #expect(!polls.isEmpty && polls.allSatisfy { $0.isEmpty })
            #expect(try h.latest("staging").state == .applied)
        }
    }

    @Test("a target that is down for a while: the promotion waits, logs once, and continues when it is back")
    func targetDown() async throws {
        try await withPipeline { h in
            await h.staging.inject(FaultRule(.status(503), path: nil, times: nil))
            let engine = try h.engine()
            for _ in 0..<3 {
                let report = await engine.tick()
                #expect(!report.problems.isEmpty)
            }
            let waiting = try h.latest("staging")
            #expect(waiting.state == .planning)
            #expect(waiting.lastError?.contains("503") == true)
            let notes = try h.store.events(promotionID: waiting.id).filter { $0.kind == "promotion.waiting" }
            #expect(notes.count == 1, "a target down for three ticks is noted once")

            await h.staging.clearFaults()
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
            #expect(try h.latest("staging").lastError == nil)
        }
    }

    @Test("an unreachable target (nothing listening) keeps the promotion waiting; a restarted engine resumes")
    func unreachableThenRestart() async throws {
        try await withPipeline { h in
            let closedPort = "http://127.0.0.1:9"
            _ = try await h.engine(urls: ["staging": closedPort]).tick()
            #expect(try h.latest("staging").state == .planning)
            _ = try await h.engine().tick()
            #expect(try h.latest("staging").state == .applied)
            let resumed = try h.store.events(promotionID: h.latest("staging").id).map(\.kind)
            #expect(resumed.contains("promotion.resumed"))
        }
    }

    @Test("a promotion found mid-apply after a crash is verified, not applied again")
    func crashMidApply() async throws {
        try await withPipeline { h in
            let engine = try h.engine()
            _ = await engine.tick()
            // Simulate a crash after the apply was sent: staging has the change, the store says applying.
            await h.dev.replaceSchema(withField("area", on: withField("population")))
            _ = await engine.tick()
            let promotion = try h.latest("staging")
            #expect(promotion.state == .applied)
            let third = try h.store.recordRevision(
                environment: "development",
                snapshotHash: try h.store.recordSnapshot(await h.dev.schema(), at: h.now()), at: h.now())
            let stuck = try h.store.createPromotion(
                revisionID: third.id, target: "staging", state: .applying, diffID: nil, actor: "test",
                message: "as a crashed daemon left it", at: h.now())
            let applies = await h.staging.applyCount()
            _ = try await h.engine().tick()
            #expect(try h.store.promotion(id: stuck.id)?.state == .applied)
            #expect(await h.staging.applyCount() == applies, "verified by diffing, never sent again")
        }
    }
}
