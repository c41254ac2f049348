import DirectusSchema
import Testing

/// Directus 12.4 (#27880): apply creates and deletes only on a root-level first record; a first record that adds
/// or removes a property is an update. Up to 12.3 the first record's kind alone decides (issue #27877: a nested
/// `meta` `D` dropped the collection's table).
@Suite("Apply by root-level records (12.4+)")
struct RootLevelApplyTests {
    typealias F = SnapshotFixtures

    static let eleven = SnapshotApplier.Options(version: DirectusVersion(11, 17, 4), vendor: "postgres")
    static let twelveThree = SnapshotApplier.Options(version: DirectusVersion(12, 3, 0), vendor: "postgres")
    static let twelveFour = SnapshotApplier.Options(version: DirectusVersion(12, 4, 0), vendor: "postgres")

    /// `articles` whose meta loses its `note`: the diff's first record is `D meta.note`.
    static func lostNote() -> (current: Snapshot, desired: Snapshot) {
        let current = F.snapshot(
            collections: [F.collection("articles")], fields: [F.field("articles", "title")],
            relations: [F.relation("articles", "author", to: "directus_users")])
        var desired = current
        var collection = current.collections[0].objectValue!
        var meta = collection["meta"]!.objectValue!
        meta.removeValue(forKey: "note")
        meta["icon"] = "article"
        collection["meta"] = .object(meta)
        desired.collections = [.object(collection)]
        return (current, desired)
    }

    @Test("a collection whose first record removes a meta key: dropped up to 12.3, updated from 12.4")
    func nestedMetaDeletion() throws {
        let (current, desired) = Self.lostNote()
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        let first = try #require(diff.collections.first?.diff.first)
        #expect(first.kind == .deleted && !first.isRoot)

        let old = try SnapshotApplier.apply(diff, to: current, options: Self.twelveThree)
        #expect(old.collections.isEmpty, "12.3 deletes the collection (#27877)")
        #expect(old.fields.isEmpty)

        let new = try SnapshotApplier.apply(diff, to: current, options: Self.twelveFour)
        #expect(new.collections.count == 1)
        #expect(new.collections[0]["meta"]?["icon"] == "article")
        #expect(new.collections[0]["meta"]?["note"] == nil)
        #expect(new.fields.count == 1, "the table and its columns stay")
        #expect(SnapshotDiffer.diff(current: new, after: desired).isEmpty)
    }

    @Test("the plan warns of the deletion only where the target's apply does it")
    func limitationsFollowTheVersion() {
        let (current, desired) = Self.lostNote()
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        let old = PlanBuilder.plan(diff, current: current, version: DirectusVersion(12, 3, 0))
        #expect(old.warnings.contains { $0.effect == .deletesEntity && $0.collection == "articles" })
        #expect(old.isDestructive)
        let new = PlanBuilder.plan(diff, current: current, version: DirectusVersion(12, 6, 0))
        #expect(!new.warnings.contains { $0.effect == .deletesEntity })
        #expect(!new.isDestructive)
        #expect(PlanBuilder.plan(diff, current: current).warnings == old.warnings, "no version: taken as 11.x")
    }

    @Test("a field whose first record adds a schema key: 500 up to 12.3, updated from 12.4")
    func nestedFieldAddition() throws {
        var field = F.field("articles", "title").objectValue!
        var schema = field["schema"]!.objectValue!
        schema.removeValue(forKey: "is_unique")
        field["schema"] = .object(schema)
        let current = F.snapshot(collections: [F.collection("articles")], fields: [.object(field)])
        let desired = F.snapshot(collections: [F.collection("articles")], fields: [F.field("articles", "title")])
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        let first = try #require(diff.fields.first?.diff.first)
        #expect(first.kind == .new && !first.isRoot)

        #expect(throws: SnapshotApplier.Failure.self) {
            try SnapshotApplier.apply(diff, to: current, options: Self.eleven)
        }
        let new = try SnapshotApplier.apply(diff, to: current, options: Self.twelveFour)
        #expect(new.fields[0]["schema"]?["is_unique"] == false)
        #expect(
            !PlanBuilder.plan(diff, current: current, version: DirectusVersion(12, 4, 0)).warnings.contains {
                $0.effect == .fails
            })
        #expect(PlanBuilder.plan(diff, current: current).warnings.contains { $0.effect == .fails })
    }

    @Test("a relation whose first record removes a meta key: deleted up to 12.3, updated from 12.4")
    func nestedRelationDeletion() throws {
        let current = F.snapshot(
            collections: [F.collection("articles")], fields: [F.field("articles", "author")],
            relations: [F.relation("articles", "author", to: "directus_users")])
        var relation = current.relations[0].objectValue!
        var meta = relation["meta"]!.objectValue!
        meta.removeValue(forKey: "one_field")
        relation["meta"] = .object(meta)
        var desired = current
        desired.relations = [.object(relation)]
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        #expect(diff.relations.first?.diff.first.map { $0.kind == .deleted && !$0.isRoot } == true)

        #expect(try SnapshotApplier.apply(diff, to: current, options: Self.eleven).relations.isEmpty)
        let new = try SnapshotApplier.apply(diff, to: current, options: Self.twelveFour)
        #expect(new.relations.count == 1)
        #expect(SnapshotDiffer.diff(current: new, after: desired).isEmpty)
    }

    @Test("root-level creations and deletions are the same in every phase")
    func rootLevelUnchanged() throws {
        let current = F.snapshot(collections: [F.collection("old")], fields: [F.field("old", "id")])
        let desired = F.snapshot(collections: [F.collection("new")], fields: [F.field("new", "id")])
        let diff = SnapshotDiffer.diff(current: current, after: desired)
        let old = try SnapshotApplier.apply(diff, to: current, options: Self.eleven)
        let new = try SnapshotApplier.apply(diff, to: current, options: Self.twelveFour)
        #expect(old == new)
        #expect(SnapshotDiffer.diff(current: new, after: desired).isEmpty)
    }
}
