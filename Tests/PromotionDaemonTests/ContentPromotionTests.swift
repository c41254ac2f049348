import DirectusContent
import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// Reference data promoted with the schema as one release, over three emulators on loopback and a real state file.
@Suite("Reference data promotion end to end")
struct ContentPromotionTests {
    static let rules = [
        ContentRule(collection: "countries", identity: ["code"], policy: .mirror),
        ContentRule(collection: "cities", identity: ["name"]),
    ]

    /// Development's rows: 250 countries with ids from 1001 (the targets number theirs from 1) and three cities.
    static func seed(_ dev: EmulatedInstance) async {
        await dev.setItemRows(ReferenceData.countries(250, firstID: 1001), for: "countries")
        let cities: [JSONValue] = [
            ["id": 1, "name": "Paris", "country": 1001, "user_created": nil],
            ["id": 2, "name": "Lima", "country": 1011, "user_created": nil],
            ["id": 3, "name": "Quito", "country": 1249, "user_created": nil],
        ]
        await dev.setItemRows(cities.map { $0.objectValue! }, for: "cities")
    }

    static func row(
        _ instance: EmulatedInstance, _ collection: String, _ field: String, _ value: JSONValue
    ) async
        -> JSONObject?
    {
        await instance.itemRows(collection).first { $0[field] == value }
    }

    @Test("a new collection and its 250 rows as one release; an edit as an update; a deletion held for approval")
    func oneRelease() async throws {
        try await withPipeline(dev: ReferenceData.snapshot, targets: ReferenceData.withoutCountriesAndCities) {
            harness in
            await Self.seed(harness.dev)
            let engine = try harness.engine(content: Self.rules) { settings in
                if settings.name == "production" { settings.destructive = .approve }
            }
            _ = await engine.tick()
            let revision = try #require(try harness.store.latestRevision())
            #expect(revision.contentHash != nil)
            #expect(try harness.latest("staging").state == .applied)
            #expect(try harness.latest("production").state == .awaitingApproval)
            // Production's plan shows the rows beside the schema; nothing is written before the approval.
            let waiting = try #require(try harness.latest("production").diffID)
            let plan = try #require(try harness.store.contentPlan(diffID: waiting))
            #expect(
                ContentPlanRenderer.summary(json: plan)
                    == "countries: +250 rows, ~0 rows, -0; cities: +3 rows, ~0 rows, -0")
            #expect(await harness.production.itemRows("countries").isEmpty)
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            for target in [harness.staging, harness.production] {
                let countries = await target.itemRows("countries")
                #expect(countries.count == 250)
                // The target numbers its own rows; the cities' references follow them.
                let peru = try #require(countries.first { $0["code"] == "AK" })
                #expect(peru["id"] == 11)
                let lima = try #require(await Self.row(target, "cities", "name", "Lima"))
                #expect(lima["country"] == 11)
                let quito = try #require(await Self.row(target, "cities", "name", "Quito"))
                #expect(quito["country"] == (countries.first { $0["code"] == "JO" })?["id"])
            }

            // One row renamed on development: an update, the target's id kept.
            var countries = await harness.dev.itemRows("countries")
            let index = try #require(countries.firstIndex { $0["code"] == "AA" })
            countries[index]["name"] = "Aland"
            await harness.dev.setItemRows(countries, for: "countries")
            harness.clock.advance(by: 60)
            _ = await engine.tick()
            let updated = try #require(try harness.latest("production").diffID)
            let update = try #require(try harness.store.contentPlan(diffID: updated))
            #expect(ContentPlanRenderer.summary(json: update) == "countries: +0 rows, ~1 row (name), -0")
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            #expect(await Self.row(harness.production, "countries", "code", "AA")?["name"] == "Aland")
            #expect(await Self.row(harness.production, "countries", "code", "AA")?["id"] == 1)

            // A country deleted on development: mirror deletes it. Staging allows destructive changes; production
            // holds the deletion until a person approves it with --allow-destructive.
            countries = await harness.dev.itemRows("countries").filter { $0["code"] != "IP" }
            await harness.dev.setItemRows(countries, for: "countries")
            harness.clock.advance(by: 60)
            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            #expect(await harness.staging.itemRows("countries").count == 249)
            #expect(try harness.latest("production").state == .awaitingApproval)
            try harness.decide(.approve, "production")
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .awaitingApproval)
            #expect(await harness.production.itemRows("countries").count == 250)
            try harness.decide(.approve, "production", actor: "bob", allowDestructive: true)
            _ = await engine.tick()
            #expect(try harness.latest("production").state == .applied)
            #expect(await harness.production.itemRows("countries").count == 249)
        }
    }

    @Test("a failed import is compensated and the promotion fails with what Directus said; drift is reported once")
    func failureAndDrift() async throws {
        try await withPipeline(dev: ReferenceData.snapshot, targets: ReferenceData.withoutCountriesAndCities) {
            harness in
            await Self.seed(harness.dev)
            let engine = try harness.engine(content: Self.rules)
            // Staging refuses the cities' import: the countries it took are removed again.
            await harness.staging.inject(FaultRule(.status(500), path: "/utils/import/cities", times: nil))
            _ = await engine.tick()
            let failed = try harness.latest("staging")
            #expect(failed.state == .failed, "\(failed)")
            #expect(failed.lastError?.contains("import into cities") == true, "\(failed.lastError ?? "")")
            #expect(failed.lastError?.contains("countries: removed 250 rows the apply had created") == true)
            #expect(await harness.staging.itemRows("countries").isEmpty)
            #expect(await harness.staging.itemRows("cities").isEmpty)

            // Once the target takes it, a retry brings the release.
            await harness.staging.clearFaults()
            try harness.decide(.retry, "staging")
            _ = await engine.tick()
            #expect(try harness.latest("staging").state == .applied)
            #expect(await harness.staging.itemRows("countries").count == 250)

            // A row edited directly on staging: drift, reported once, then accepted.
            var countries = await harness.staging.itemRows("countries")
            countries[0]["name"] = "Edited on staging"
            await harness.staging.setItemRows(countries, for: "countries")
            harness.clock.advance(by: 600)
            _ = await engine.tick()
            let drift = try #require(try harness.store.contentDrift(environment: "staging"))
            #expect(drift.summary == "1 reference data row differs: countries AA changed (name)")
            let detected = try harness.store.recentEvents(limit: 100, kind: "drift.detected").count
            harness.clock.advance(by: 600)
            _ = await engine.tick()
            #expect(try harness.store.recentEvents(limit: 100, kind: "drift.detected").count == detected)
            _ = try harness.store.acceptContentDrift(
                environment: "staging", actor: "alice", comment: "kept on purpose", at: harness.now())
            harness.clock.advance(by: 600)
            _ = await engine.tick()
            #expect(try harness.store.contentDrift(environment: "staging") == nil)
        }
    }

    @Test("a rollback puts back the rows a target had before the promotion, as the policies allow")
    func rollback() async throws {
        try await withPipeline(dev: ReferenceData.snapshot, targets: ReferenceData.snapshot) { harness in
            var source = ReferenceData.countries(12)
            source[0]["name"] = "Renamed"
            await harness.dev.setItemRows(source, for: "countries")
            await harness.staging.setItemRows(ReferenceData.countries(10, firstID: 100), for: "countries")
            let before = await harness.staging.itemRows("countries")
            let engine = try harness.engine(content: Self.rules)
            _ = await engine.tick()
            let promoted = try harness.latest("staging")
            #expect(promoted.state == .applied)
            #expect(await harness.staging.itemRows("countries").count == 12)
            let rollback = try harness.store.createRollback(
                of: promoted, actor: "alice", comment: nil, at: harness.now())
            #expect(try harness.store.revision(id: rollback.revisionID)?.contentHash == promoted.preApplyContentHash)
            _ = await engine.tick()
            #expect(try harness.store.promotion(id: rollback.id)?.state == .applied)
            // countries is mirrored: the rows the promotion created go, the renamed one gets its name back.
            #expect(await harness.staging.itemRows("countries") == before)
        }
    }

    @Test("check-config --online, plan ENV, show, the web view and drift show render the rows as the daemon plans them")
    func renderings() async throws {
        try await withPipeline(dev: ReferenceData.snapshot, targets: ReferenceData.withoutCountriesAndCities) {
            harness in
            await Self.seed(harness.dev)
            var configuration = WebViewTests.configuration(harness)
            configuration.contentRules = Self.rules
            let online = await OnlineCheck.run(configuration, http: httpClient)
            #expect(online.ok, "\(online.lines)")
            #expect(
                online.lines.contains(
                    "  ✓ development: reference data readable: 250 rows of countries, 3 rows of cities"))
            let preview = try await PlanPreview.make(target: "staging", configuration: configuration, http: httpClient)
            #expect(preview.hasChanges)
            let text = preview.text(color: false)
            #expect(text.contains("Reference data:\ncountries: +250 rows, ~0 rows, -0\n  + AA"), "\(text)")

            // The daemon plans the same, and every rendering shows its plan.
            let engine = try harness.engine(content: Self.rules)
            _ = await engine.tick()
            let waiting = try harness.latest("production")
            let detail = try #require(
                try PromotionDetail(id: waiting.id, store: harness.store, configuration: configuration))
            #expect(detail.contentPlan == ContentPlanRenderer.json(try #require(preview.content)))
            #expect(detail.text(now: harness.now(), color: false).contains("cities: +3 rows, ~0 rows, -0"))
            let page = WebViewTests.text(
                await WebViewTests.get(WebViewTests.web(harness), "/promotions/\(waiting.id)", configuration))
            #expect(page.contains("Reference data, per collection, in the order it is written"), "\(page)")
            #expect(page.contains("countries: +250 rows, ~0 rows, -0"))

            try harness.decide(.approve, "production")
            _ = await engine.tick()
            var countries = await harness.production.itemRows("countries")
            countries.removeLast()
            await harness.production.setItemRows(countries, for: "countries")
            harness.clock.advance(by: 600)
            _ = await engine.tick()
            let drift = try #require(
                try DriftDetail(environment: "production", store: harness.store, configuration: configuration))
            #expect(drift.contentLines == ["- countries JP"])
            #expect(drift.text(now: harness.now(), color: false).contains("Reference data drift on production"))
            let listing = WebViewTests.text(await WebViewTests.get(WebViewTests.web(harness), "/drift", configuration))
            #expect(listing.contains("1 reference data row differs: countries JP was removed"), "\(listing)")
        }
    }
}
