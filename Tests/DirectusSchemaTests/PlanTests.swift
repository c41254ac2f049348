import DirectusSchema
import Testing

/// Builds small snapshots for plan and classification tests.
enum SnapshotFixtures {
    static func collection(_ name: String, group: String? = nil) -> JSONValue {
        [
            "collection": .string(name),
            "meta": ["collection": .string(name), "group": group.map(JSONValue.string) ?? .null, "note": nil],
            "schema": ["name": .string(name)],
        ]
    }

    static func field(
        _ collection: String, _ name: String, type: String = "string", maxLength: Int? = 255, nullable: Bool = true,
        unique: Bool = false
    ) -> JSONValue {
        var value: JSONValue = [
            "collection": .string(collection), "field": .string(name), "type": .string(type),
            "meta": ["collection": .string(collection), "field": .string(name), "note": nil, "special": nil],
        ]
        if type != "alias", case .object(var object) = value {
            object["schema"] = [
                "name": .string(name), "table": .string(collection), "data_type": "character varying",
                "max_length": maxLength.map { .number(JSONNumber($0)) } ?? .null, "is_nullable": .bool(nullable),
                "is_unique": .bool(unique),
            ]
            value = .object(object)
        }
        return value
    }

    static func relation(_ collection: String, _ field: String, to related: String) -> JSONValue {
        [
            "collection": .string(collection), "field": .string(field), "related_collection": .string(related),
            "meta": ["many_collection": .string(collection), "many_field": .string(field), "one_field": nil],
            "schema": ["table": .string(collection), "column": .string(field), "on_delete": "SET NULL"],
        ]
    }

    static func snapshot(
        collections: [JSONValue], fields: [JSONValue], relations: [JSONValue] = [], systemFields: [JSONValue] = []
    ) -> Snapshot {
        var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
        snapshot.collections = collections
        snapshot.fields = fields
        snapshot.relations = relations
        snapshot.systemFields = systemFields
        return snapshot
    }
}

@Suite("Plans")
struct PlanTests {
    typealias F = SnapshotFixtures

    @Test("the plan reads like terraform plan")
    func readablePlan() {
        let current = F.snapshot(
            collections: [F.collection("articles")],
            fields: [F.field("articles", "title"), F.field("articles", "legacy")])
        let desired = F.snapshot(
            collections: [F.collection("articles"), F.collection("authors")],
            fields: [F.field("articles", "title", maxLength: 100), F.field("authors", "name")],
            relations: [])
        let plan = PlanBuilder.plan(SnapshotDiffer.diff(current: current, after: desired), current: current)
        let text = PlanRenderer.text(plan)
        #expect(
            text == """
                Plan: 2 to create, 1 to update, 1 to delete (2 destructive).

                + collection authors
                ~ field articles.title: max_length 255 -> 100 (destructive)
                    ! shrinking max_length from 255 to 100 can truncate data
                - field articles.legacy (destructive)
                    ! deleting a field drops its column and the data in it
                + field authors.name

                """)
        #expect(plan.summary == Plan.Summary(creates: 2, updates: 1, deletes: 1, destructive: 2))
    }

    @Test("what counts as destructive")
    func destructiveChanges() {
        let current = F.snapshot(
            collections: [F.collection("a"), F.collection("gone")],
            fields: [
                F.field("a", "nullable"), F.field("a", "plain"), F.field("a", "typed"),
                F.field("a", "longer", maxLength: 10),
            ],
            relations: [F.relation("a", "typed", to: "gone")],
            systemFields: [["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]]])
        var desired = F.snapshot(
            collections: [F.collection("a")],
            fields: [
                F.field("a", "nullable", nullable: false), F.field("a", "plain", unique: true),
                F.field("a", "typed", type: "integer"), F.field("a", "longer", maxLength: 20),
            ])
        desired.systemFields = []
        let plan = PlanBuilder.plan(SnapshotDiffer.diff(current: current, after: desired), current: current)
        func reasons(_ target: String) -> [String] {
            plan.changes.first { $0.target == target }?.destructiveReasons ?? ["missing"]
        }
        #expect(reasons("gone").first?.contains("drops its table") == true)
        #expect(reasons("a.nullable") == ["making the field non-nullable fails or rewrites rows that hold null"])
        #expect(reasons("a.plain") == ["making the field unique fails when rows hold duplicates"])
        #expect(reasons("a.typed").first?.contains("changing the type from \"string\" to \"integer\"") == true)
        #expect(reasons("a.longer").isEmpty, "growing max_length is safe")
        #expect(reasons("directus_activity.timestamp") == ["the system index is dropped"])
        #expect(plan.isDestructive)
    }

    @Test("a change to alias is one replacement that drops the column")
    func aliasReplacement() {
        let current = F.snapshot(collections: [F.collection("a")], fields: [F.field("a", "x")])
        let desired = F.snapshot(collections: [F.collection("a")], fields: [F.field("a", "x", type: "alias")])
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        #expect(diff.fields.map { $0.diff.first?.kind } == [.deleted, .new])
        let plan = PlanBuilder.plan(diff, current: current)
        #expect(plan.changes.count == 1)
        #expect(plan.changes.first?.action == .replace)
        #expect(PlanRenderer.text(plan).contains("-/+ field a.x: type \"string\" -> \"alias\" (destructive)"))
    }

    @Test("Directus's own surprises are warned about")
    func limitationsAreWarnings() {
        var withKey = F.collection("pages")
        if case .object(var object) = withKey, case .object(var meta)? = object["meta"] {
            meta["versioning"] = false
            object["meta"] = .object(meta)
            withKey = .object(object)
        }
        let current = F.snapshot(collections: [withKey], fields: [F.field("pages", "id")])
        let desired = F.snapshot(collections: [F.collection("pages")], fields: [F.field("pages", "id")])
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        let plan = PlanBuilder.plan(diff, current: current)
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings.first?.effect == .deletesEntity)
        #expect(plan.isDestructive)
        let text = PlanRenderer.text(plan)
        #expect(text.contains("! Directus deletes collection pages: its first change removes meta.versioning"))
        // And the applier really deletes it, as Directus 11 does.
        let applied = try? SnapshotApplier.apply(diff, to: current)
        #expect(applied?.collections.isEmpty == true)
    }

    @Test("JSON plan")
    func jsonPlan() {
        let current = F.snapshot(collections: [F.collection("a")], fields: [F.field("a", "x")])
        let desired = F.snapshot(collections: [F.collection("a")], fields: [F.field("a", "x", nullable: false)])
        let plan = PlanBuilder.plan(SnapshotDiffer.diff(current: current, after: desired), current: current)
        let json = PlanRenderer.json(plan)
        #expect(json["summary"]?["update"] == 1)
        #expect(json["changes"]?.arrayValue?.first?["destructive"] == true)
        #expect(json["changes"]?.arrayValue?.first?["details"]?.arrayValue?.first?["path"] == "schema.is_nullable")
    }

    @Test("colour only when asked")
    func colour() {
        let current = F.snapshot(collections: [], fields: [])
        let desired = F.snapshot(collections: [F.collection("a")], fields: [])
        let plan = PlanBuilder.plan(SnapshotDiffer.diff(current: current, after: desired), current: current)
        #expect(PlanRenderer.text(plan, color: true).contains("\u{1B}[32m+ collection a\u{1B}[0m"))
        #expect(!PlanRenderer.text(plan).contains("\u{1B}"))
    }
}
