import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// The engine against targets that refuse what it sends: stale hashes without end, plans that predict their own
/// failure. Three emulators, a real state file and a manual clock.
@Suite("Engine hardening", .serialized)
struct HardeningTests {
    @Test("a target that refuses every apply's hash: two applies, a wait, a third, then blocked with its answer")
    func staleHashWithoutEnd() async throws {
        try await withPipeline { h in
            // Every apply on staging finds the schema changed just before it is handled.
            await h.staging.inject(FaultRule(.driftBeforeHandling, path: "/schema/apply", times: nil))
            let engine = try h.engine()
            _ = await engine.tick()
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 2)
            var promotion = try h.latest("staging")
            #expect(promotion.state == .stale)
            #expect(promotion.lastError?.contains("planning again at") == true, "\(promotion.lastError ?? "")")

            // The wait holds across ticks until its time comes.
            _ = await engine.tick()
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 2)
            h.clock.advance(by: 31)
            _ = await engine.tick()
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 3)
            promotion = try h.latest("staging")
            #expect(promotion.state == .blocked)
            let reason = try #require(promotion.lastError)
            #expect(reason.contains("3 times in a row"))
            #expect(reason.contains("Provided hash does not match the current instance's schema hash"), "\(reason)")

            // Blocked means blocked: more ticks send nothing.
            h.clock.advance(by: 3600)
            _ = await engine.tick()
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 3)
            let events = try h.store.events(promotionID: promotion.id).map(\.message)
            #expect(events.filter { $0.contains("refused the diff's hash (\"") }.count == 3, "\(events)")
            #expect(!events.contains { $0.contains("in flight") || $0.contains("answer was lost") }, "\(events)")

            // A person's retry starts again from a fresh plan.
            await h.staging.clearFaults()
            try h.decide(.retry, "staging")
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
        }
    }

    @Test("a plan whose warnings predict an apply failure is blocked even under automatic approval")
    func predictedFailureIsNotApplied() async throws {
        // Staging lacks schema.is_indexed on city.name: the diff's first record for the field adds it below meta,
        // which Directus's apply cannot do.
        var withoutIndexFlag = baseSnapshot
        withoutIndexFlag.fields = baseSnapshot.fields.map { field in
            guard field["collection"]?.stringValue == "city", field["field"]?.stringValue == "name",
                var object = field.objectValue, var schema = object["schema"]?.objectValue
            else { return field }
            schema.removeValue(forKey: "is_indexed")
            object["schema"] = .object(schema)
            return .object(object)
        }
        try await withPipeline(dev: baseSnapshot, targets: withoutIndexFlag) { h in
            let engine = try h.engine()
            _ = await engine.tick()
            var promotion = try h.latest("staging")
            #expect(promotion.state == .blocked)
            let reason = try #require(promotion.lastError)
            #expect(reason.contains("city.name"), "\(reason)")
            #expect(reason.contains("500"), "the prediction names Directus's real answer")
            #expect(reason.contains("--despite-warnings"))
            #expect(await h.staging.applyCount() == 0)
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 0)

            // An approval without --despite-warnings is not taken.
            try h.decide(.approve, "staging")
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .blocked)
            let ignored = try h.store.recentEvents(limit: 50, kind: "decision.ignored").map(\.message)
            #expect(ignored.contains { $0.contains("--despite-warnings") }, "\(ignored)")

            // With it, the apply goes out, and Directus answers as predicted.
            try h.store.recordDecision(
                promotionID: promotion.id, kind: .approve, actor: "alice", comment: nil, despiteWarnings: true,
                at: h.now())
            _ = await engine.tick()
            promotion = try h.latest("staging")
            #expect(await h.staging.requestCount(method: "POST", path: "/schema/apply") == 1)
            #expect(promotion.state == .failed)
            #expect(promotion.lastError?.contains("500") == true, "\(promotion.lastError ?? "")")
        }
    }
}
