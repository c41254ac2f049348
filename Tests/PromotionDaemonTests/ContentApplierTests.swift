import DirectusClient
import DirectusContent
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import TestSupport
import Testing

/// Reference data sent to a real emulator: imports in dependency order with references remapped to the target's
/// ids, and compensation of a failed apply from the rows read before it.
@Suite("Reference data apply and compensation")
struct ContentApplierTests {
    static let rules = [
        ContentRule(collection: "countries", identity: ["code"], policy: .mirror),
        ContentRule(collection: "cities", identity: ["name"]),
    ]

    static func client(_ url: String) -> DirectusClient {
        DirectusClient(
            endpoint: DirectusEndpoint(url: url, authentication: .staticToken(Secret(adminToken))),
            httpClient: httpClient, logger: Logger(label: "test"))
    }

    /// The source's content: 12 countries (one renamed) and two cities, one in a country the target lacks.
    static func desired(limaName: String = "Lima") throws -> ContentSet {
        var countries = ReferenceData.countries(12)
        countries[0]["name"] = "Renamed"
        let cities: [JSONObject] = [
            ["id": 1, "name": "Paris", "country": 1], ["id": 2, "name": .string(limaName), "country": 12],
        ].map { (value: JSONValue) in value.objectValue! }
        let scope = try ContentNormalizer.Scope(rules: rules, snapshot: ReferenceData.snapshot)
        return try ContentNormalizer.normalize(["countries": countries, "cities": cities], scope: scope)
    }

    /// The target's rows planned against `desired`, as the engine does.
    static func observe(_ desired: ContentSet, on client: DirectusClient) async throws -> ContentObserver.Observation {
        try await ContentObserver.observe(
            desired: desired, on: client, rules: rules, revision: ReferenceData.snapshot,
            targetSchema: ReferenceData.snapshot, limits: ContentLimits(), keepDeletions: false)
    }

    /// A target with 10 of the countries under other ids and one country of its own.
    static func target(clock: ManualClock) async throws -> EmulatedInstance {
        let target = try makeInstance(ReferenceData.snapshot, clock: clock)
        var countries = ReferenceData.countries(10, firstID: 100)
        let own: JSONValue = ["id": 500, "code": "XX", "name": "Own", "date_updated": nil]
        countries.append(own.objectValue!)
        await target.setItemRows(countries, for: "countries")
        return target
    }

    @Test("one release: countries created and updated, a city referring to a created country gets its new id")
    func applies() async throws {
        let clock = ManualClock()
        let target = try await Self.target(clock: clock)
        try await withEmulator(target) { url in
            let client = Self.client(url)
            let desired = try Self.desired()
            let observation = try await Self.observe(desired, on: client)
            #expect(
                observation.plan.collections.map(\.summaryLine) == [
                    "countries: +2 rows, ~1 row (name), -1", "cities: +2 rows, ~0 rows, -0",
                ])
            let report = await ContentApplier.apply(
                observation.plan, before: observation.before, scope: observation.scope, on: client)
            #expect(report.failure == nil, "\(report.summary)")
            let countries = await target.itemRows("countries")
            #expect(countries.count == 12 && !countries.contains { $0["code"] == "XX" })
            #expect(countries.first { $0["code"] == "AA" }?["id"] == 100)
            let lima = try #require(await target.itemRows("cities").first { $0["name"] == "Lima" })
            let peru = try #require(countries.first { $0["code"] == "AL" })
            #expect(lima["country"] == peru["id"] && peru["id"] != 12)
            // Read again, the target has the source's content: nothing left to do.
            let again = try await Self.observe(desired, on: client)
            #expect(again.plan.isEmpty && again.observed.contentHash == desired.contentHash)
        }
    }

    @Test("a failed import: the rows created are removed, the changed fields and the deleted row put back")
    func compensates() async throws {
        let clock = ManualClock()
        let target = try await Self.target(clock: clock)
        let before = await target.itemRows("countries")
        try await withEmulator(target) { url in
            let client = Self.client(url)
            // A city name longer than the target's column: Directus refuses the cities' import, naming the field.
            let observation = try await Self.observe(
                try Self.desired(limaName: String(repeating: "Lima ", count: 60)), on: client)
            let report = await ContentApplier.apply(
                observation.plan, before: observation.before, scope: observation.scope, on: client)
            #expect(report.failure?.hasPrefix("import into cities") == true, "\(report.summary)")
            #expect(report.summary.contains("\"name\" in collection \"cities\""), "\(report.summary)")
            #expect(report.undone.contains("countries: restored 1 row"), "\(report.summary)")
            #expect(report.undone.contains("countries: removed 2 rows the apply had created"), "\(report.summary)")
            #expect(report.notUndone.isEmpty, "\(report.summary)")
            #expect(await target.itemRows("countries") == before)
            #expect(await target.itemRows("cities").isEmpty)
        }
    }

    @Test("a failed deletion after the imports: everything written is undone and the report says what failed")
    func compensatesAfterDeletion() async throws {
        let clock = ManualClock()
        let target = try await Self.target(clock: clock)
        try await withEmulator(target) { url in
            let client = Self.client(url)
            let observation = try await Self.observe(try Self.desired(), on: client)
            await target.inject(FaultRule(.status(500), path: "/items/countries", times: 1, method: "DELETE"))
            let report = await ContentApplier.apply(
                observation.plan, before: observation.before, scope: observation.scope, on: client)
            #expect(report.failure?.hasPrefix("delete from countries") == true, "\(report.summary)")
            #expect(report.undone.contains("cities: removed 2 rows the apply had created"), "\(report.summary)")
            #expect(await target.itemRows("countries").count == 11)
            #expect(await target.itemRows("countries").first { $0["code"] == "AA" }?["name"] == "Country AA")
            #expect(await target.itemRows("cities").isEmpty)
        }
    }

    @Test("on 12.2, each write is checked by a dry run of the batch import first: a refused one writes nothing of it")
    func dryRunFirst() async throws {
        let clock = ManualClock()
        let target = try makeInstance(ReferenceData.snapshot, version: "12.2.0", clock: clock)
        try await withEmulator(target) { url in
            let client = Self.client(url)
            let observation = try await Self.observe(
                try Self.desired(limaName: String(repeating: "Lima ", count: 60)), on: client)
            let report = await ContentApplier.apply(
                observation.plan, before: observation.before, scope: observation.scope, on: client, dryRunFirst: true)
            #expect(report.failure?.hasPrefix("the dry run of the import into cities") == true, "\(report.summary)")
            #expect(await target.requestCount(method: "POST", path: "/utils/import/cities") == 0)
            // The countries checked and written by the batch import; the cities refused by their dry run.
            #expect(await target.requestCount(method: "POST", path: "/utils/import") == 3)
            #expect(await target.itemRows("countries").isEmpty)
            #expect(report.notUndone.isEmpty)
            // A release the target takes: checked, then written.
            let good = try await Self.observe(try Self.desired(), on: client)
            let written = await ContentApplier.apply(
                good.plan, before: good.before, scope: good.scope, on: client, dryRunFirst: true)
            #expect(written.failure == nil, "\(written.summary)")
            // Each collection checked, then written, by the batch import.
            #expect(await target.requestCount(method: "POST", path: "/utils/import") == 3 + 4)
            #expect(await target.requestCount(method: "POST", path: "/utils/import/countries") == 0)
            #expect(await target.itemRows("countries").count == 12)
            #expect(await target.itemRows("cities").count == 2)
        }
    }

    @Test("on 12.2, new rows whose key is their identity keep it: sent by the per-collection import")
    func keysKept() async throws {
        let clock = ManualClock()
        let target = try makeInstance(ReferenceData.snapshot, version: "12.2.0", clock: clock)
        let rules = [ContentRule(collection: "countries")]
        let scope = try ContentNormalizer.Scope(rules: rules, snapshot: ReferenceData.snapshot)
        let desired = try ContentNormalizer.normalize(
            ["countries": ReferenceData.countries(5, firstID: 40)], scope: scope)
        try await withEmulator(target) { url in
            let client = Self.client(url)
            let observation = try await ContentObserver.observe(
                desired: desired, on: client, rules: rules, revision: ReferenceData.snapshot,
                targetSchema: ReferenceData.snapshot, limits: ContentLimits(), keepDeletions: false)
            let report = await ContentApplier.apply(
                observation.plan, before: observation.before, scope: observation.scope, on: client, dryRunFirst: true)
            #expect(report.failure == nil, "\(report.summary)")
            #expect(await target.itemRows("countries").map { $0["id"] } == [40, 41, 42, 43, 44])
            #expect(await target.requestCount(method: "POST", path: "/utils/import") == 1)
            #expect(await target.requestCount(method: "POST", path: "/utils/import/countries") == 1)
        }
    }
}
