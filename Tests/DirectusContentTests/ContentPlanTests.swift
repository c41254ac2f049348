import DirectusContent
import DirectusSchema
import TestSupport
import Testing

func row(_ value: JSONValue) -> JSONObject { value.objectValue! }

let rules = [
    ContentRule(collection: "countries", identity: ["code"]),
    ContentRule(collection: "cities", identity: ["name"], policy: .mirror),
    ContentRule(collection: "categories", identity: ["slug"]),
]

func scope(_ rules: [ContentRule] = rules, limits: ContentLimits = ContentLimits()) throws -> ContentNormalizer.Scope {
    try ContentNormalizer.Scope(rules: rules, snapshot: ReferenceData.snapshot, limits: limits)
}

@Suite("Reference data: schema facts and canonical form")
struct ContentSetTests {
    @Test("the schema says which key the instance makes, which fields never travel, and what refers to what")
    func schemaFacts() throws {
        let countries = try ContentSchema.of("countries", in: ReferenceData.snapshot)
        #expect(countries.primaryKey == "id" && countries.keyIsGenerated)
        #expect(countries.leftOut == ["date_updated"])
        #expect(countries.comparedFields(rules[0]) == ["code", "name"])
        let cities = try ContentSchema.of("cities", in: ReferenceData.snapshot)
        #expect(cities.references == ["country": "countries"])
        #expect(cities.leftOut.contains("user_created"))
        let categories = try ContentSchema.of("categories", in: ReferenceData.snapshot)
        #expect(categories.keyIsGenerated && categories.references == ["parent": "categories"])
        // With the primary key as identity, the key travels (it is the same on every instance).
        #expect(countries.comparedFields(ContentRule(collection: "countries")) == ["id", "code", "name"])
        #expect(throws: ContentError.self) { try ContentSchema.of("directus_roles", in: ReferenceData.snapshot) }
        #expect(throws: ContentError.self) { try ContentSchema.of("planets", in: ReferenceData.snapshot) }
        #expect(countries.problem(with: ContentRule(collection: "countries", identity: ["iso"])) != nil)
        #expect(countries.problem(with: ContentRule(collection: "countries", identity: ["date_updated"])) != nil)
        #expect(throws: ContentError.self) {
            try scope([ContentRule(collection: "countries", identity: ["iso"])])
        }
    }

    @Test("two instances with the same rows under other ids have the same hash; references are written as keys")
    func sameContentSameHash() throws {
        let scope = try scope()
        let a = try ContentNormalizer.normalize(
            [
                "countries": ReferenceData.countries(3),
                "cities": [row(["id": 1, "name": "Paris", "country": 1, "user_created": "u-1"])],
                "categories": [],
            ], scope: scope)
        let b = try ContentNormalizer.normalize(
            [
                "countries": ReferenceData.countries(3, firstID: 40).reversed(),
                "cities": [row(["id": 9, "name": "Paris", "country": 40, "user_created": "u-2"])],
                "categories": [],
            ], scope: scope)
        #expect(a.contentHash == b.contentHash)
        #expect(a.collections["cities"]?.rows["Paris"]?.fields["country"] == "AA")
        #expect(a.collections["cities"]?.rows["Paris"]?.fields["user_created"] == nil)
        #expect(a.collections["countries"]?.rows["AB"]?.id == 2)
        #expect(b.collections["countries"]?.rows["AB"]?.id == 41)
        // What history stores reads back as the same content (without ids).
        let stored = try ContentSet(stored: a.storedJSON)
        #expect(stored.contentHash == a.contentHash)
        #expect(stored.collections["countries"]?.rows["AA"]?.id == nil)
        // A changed name changes the hash; a changed audit field does not.
        var edited = ReferenceData.countries(3)
        edited[0]["date_updated"] = "2027-01-01T00:00:00.000Z"
        let touched = try ContentNormalizer.normalize(
            ["countries": edited, "cities": [row(["id": 1, "name": "Paris", "country": 1])], "categories": []],
            scope: scope)
        #expect(touched.contentHash == a.contentHash)
        edited[0]["name"] = "Renamed"
        let renamed = try ContentNormalizer.normalize(
            ["countries": edited, "cities": [row(["id": 1, "name": "Paris", "country": 1])], "categories": []],
            scope: scope)
        #expect(renamed.contentHash != a.contentHash)
    }

    @Test("rows sharing an identity are set apart, rows without one counted; limits refuse, never truncate")
    func duplicatesAndLimits() throws {
        var countries = ReferenceData.countries(3)
        countries.append(row(["id": 10, "code": "AA", "name": "Again"]))
        countries.append(row(["id": 11, "code": nil, "name": "Nameless"]))
        let set = try ContentNormalizer.normalize(["countries": countries], scope: try scope([rules[0]]))
        #expect(set.collections["countries"]?.duplicates == ["AA": 2])
        #expect(set.collections["countries"]?.withoutIdentity == 1)
        #expect(set.collections["countries"]?.rows.count == 2)
        #expect(throws: ContentError.self) {
            try ContentNormalizer.normalize(
                ["countries": ReferenceData.countries(30)], scope: try scope([rules[0]], limits: .init(maxRows: 20)))
        }
        do {
            _ = try ContentNormalizer.normalize(
                ["countries": ReferenceData.countries(30)],
                scope: try scope([rules[0]], limits: .init(maxBytes: 200)))
            Issue.record("over the byte limit, and accepted")
        } catch {
            #expect("\(error)".contains("content countries") && "\(error)".contains("max-bytes"))
        }
    }
}

@Suite("Reference data: plans")
struct ContentPlanTests {
    func sets(
        source: [String: [JSONObject]], target: [String: [JSONObject]], rules: [ContentRule] = rules
    ) throws -> (ContentSet, ContentSet, ContentNormalizer.Scope) {
        let scope = try scope(rules)
        let desired = try ContentSet(stored: ContentNormalizer.normalize(source, scope: scope).storedJSON)
        return (desired, try ContentNormalizer.normalize(target, scope: scope), scope)
    }

    @Test("creates, updates and deletes per collection, parents first, with a summary line per collection")
    func planShape() throws {
        var source = ReferenceData.countries(5)
        source[1]["name"] = "Renamed"
        let (desired, current, scope) = try sets(
            source: [
                "countries": source,
                "cities": [
                    row(["id": 1, "name": "Paris", "country": 1]), row(["id": 2, "name": "Lyon", "country": 5]),
                ],
                "categories": [],
            ],
            target: [
                "countries": Array(ReferenceData.countries(3, firstID: 100)),
                "cities": [
                    row(["id": 7, "name": "Paris", "country": 100]), row(["id": 8, "name": "Nice", "country": 101]),
                ],
                "categories": [],
            ])
        let plan = ContentPlanner.plan(desired: desired, current: current, scope: scope)
        #expect(plan.collections.map(\.collection) == ["categories", "countries", "cities"])
        let countries = plan.collections[1]
        #expect(countries.creates.map(\.key) == ["AD", "AE"])
        #expect(countries.updates.map(\.key) == ["AB"] && countries.updates[0].fields == ["name"])
        #expect(countries.updates[0].targetID == 101)
        #expect(countries.summaryLine == "countries: +2 rows, ~1 row (name), -0")
        let cities = plan.collections[2]
        #expect(cities.summaryLine == "cities: +1 row, ~0 rows, -1")
        #expect(plan.isDestructive && plan.summary.deletes == 1 && plan.summary.creates == 3)
        // The writes: countries before cities, then the deletion; Lyon's country (created by the plan) resolved
        // to the id the target gives it.
        #expect(plan.steps.map(\.collection) == ["countries", "cities", "cities"])
        var ids: [String: [String: JSONValue]] = ["countries": [:], "cities": ["Nice": 8, "Paris": 7]]
        for (key, id) in [("AA", 100), ("AB", 101), ("AC", 102)] { ids["countries"]![key] = .number(JSONNumber(id)) }
        let sentCountries = try plan.steps[0].requestItems(ids: ids, scope: scope)
        #expect(sentCountries.count == 3)
        #expect(sentCountries.contains(["id": 101, "name": "Renamed"]))
        #expect(sentCountries.contains(["code": "AD", "name": "Country AD"]))
        // After the write, the target's ids of the new rows (read back) resolve the references to them.
        ids["countries"]!["AD"] = 500
        ids["countries"]!["AE"] = 501
        let sentCities = try plan.steps[1].requestItems(ids: ids, scope: scope)
        #expect(sentCities == [["name": "Lyon", "country": 501]])
        #expect(try plan.steps[2].requestItems(ids: ids, scope: scope) == [8])
        // Without the row the reference needs, the request is refused before it is sent.
        ids["countries"]!["AE"] = nil
        #expect(throws: ContentError.self) { try plan.steps[1].requestItems(ids: ids, scope: scope) }
    }

    @Test("policies: upsert leaves the target's own rows, insert-only never updates, destructive never withholds")
    func policies() throws {
        let target = ["countries": ReferenceData.countries(4, firstID: 10)]
        var source = ReferenceData.countries(2)
        source[0]["name"] = "Changed"
        source.append(row(["id": 9, "code": "ZZ", "name": "New"]))
        for (policy, expected) in [
            (
                ContentRule.Policy.upsert,
                "countries: +1 row, ~1 row (name), -0; 2 rows only on the target, left (upsert)"
            ),
            (
                .insertOnly,
                "countries: +1 row, ~0 rows, -0; 2 rows only on the target, left (insert-only); 1 row differing, not updated (insert-only)"
            ),
            (.mirror, "countries: +1 row, ~1 row (name), -2"),
        ] {
            let (desired, current, scope) = try sets(
                source: ["countries": source], target: target,
                rules: [ContentRule(collection: "countries", identity: ["code"], policy: policy)])
            let plan = ContentPlanner.plan(desired: desired, current: current, scope: scope)
            #expect(plan.collections[0].summaryLine == expected)
            if policy == .mirror {
                let kept = ContentPlanner.plan(desired: desired, current: current, scope: scope, keepDeletions: true)
                #expect(kept.collections[0].deletes.isEmpty && kept.withheld.map(\.key) == ["AC", "AD"])
                #expect(!kept.isDestructive)
                #expect(kept.contentKey != plan.contentKey)
            }
        }
    }

    @Test("a tree in one collection: children point at parents created in the same import by a link step")
    func selfReference() throws {
        let root = "11111111-1111-4111-8111-111111111111"
        let child = "22222222-2222-4222-8222-222222222222"
        let (desired, current, scope) = try sets(
            source: [
                "categories": [
                    row(["id": .string(root), "slug": "news", "name": "News", "parent": nil]),
                    row(["id": .string(child), "slug": "sport", "name": "Sport", "parent": .string(root)]),
                ]
            ],
            target: ["categories": []], rules: [rules[2]])
        let plan = ContentPlanner.plan(desired: desired, current: current, scope: scope)
        #expect(plan.steps.count == 2)
        guard case .write(_, let items) = plan.steps[0], case .link(_, let links) = plan.steps[1] else {
            Issue.record("a write then a link: \(plan.steps)")
            return
        }
        #expect(items.first { $0.key == "sport" }?.body["parent"] == .null)
        #expect(links.map(\.key) == ["sport"] && links[0].body["parent"] == "news")
        let ids: [String: [String: JSONValue]] = ["categories": ["news": "t-1", "sport": "t-2"]]
        #expect(try plan.steps[1].requestItems(ids: ids, scope: scope) == [["id": "t-2", "parent": "t-1"]])
        // The UUIDs are the instance's: not sent.
        #expect(try plan.steps[0].requestItems(ids: [:], scope: scope).allSatisfy { $0["id"] == nil })
    }

    @Test("refused: rows whose identity matches several rows, references to rows that will not exist")
    func refusals() throws {
        var target = ReferenceData.countries(2)
        target.append(row(["id": 3, "code": "AB", "name": "Twin"]))
        let (desired, current, scope) = try sets(
            source: [
                "countries": ReferenceData.countries(2),
                "cities": [
                    row(["id": 1, "name": "Nowhere", "country": 99]), row(["id": 2, "name": "Paris", "country": 1]),
                ],
            ],
            target: ["countries": target, "cities": []], rules: Array(rules.prefix(2)))
        let plan = ContentPlanner.plan(desired: desired, current: current, scope: scope)
        #expect(plan.refused.map(\.key) == ["AB", "Nowhere"])
        #expect(plan.refused[0].reason.contains("2 rows of the target"))
        #expect(plan.refused[1].reason.contains("country refers to 99 in countries"))
        #expect(plan.collections[1].creates.map(\.key) == ["Paris"])
    }
}
