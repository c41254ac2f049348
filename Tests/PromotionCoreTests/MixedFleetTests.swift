import DirectusSchema
import PromotionCore
import Testing

/// Which snapshots reach which targets across Directus releases (`PipelineCompatibility`, `SnapshotFormat`), and
/// how a diff is shaped when a 12.2+ target computes it in merge mode.
@Suite("Mixed fleets")
struct MixedFleetTests {
    typealias Seen = PipelineCompatibility.Seen

    func verdict(
        _ from: String?, _ to: String?, vendors: (String, String) = ("postgres", "postgres"), force: Bool = false
    )
        -> PipelineCompatibility.Verdict
    {
        PipelineCompatibility.verdict(
            source: Seen(name: "development", version: from, vendor: vendors.0, force: false),
            target: Seen(name: "production", version: to, vendor: vendors.1, force: force))
    }

    @Test("the same release is sent as it is; releases of one format are sent with force")
    func compatible() {
        #expect(verdict("12.4.0", "12.4.0") == .same)
        #expect(verdict(nil, "12.4.0") == .same, "nothing to compare: Directus decides")
        guard case .acrossVersions(let note) = verdict("12.4.0", "12.3.0") else {
            Issue.record("12.4 → 12.3 should be promotable")
            return
        }
        #expect(note.contains("12.4.0") && note.contains("12.3.0"))
        #expect(verdict("12.4.0", "12.3.0").sendsForce)
        #expect(verdict("11.17.4", "11.13.0").sendsForce, "11.13 to 11.17 share a format")
        #expect(verdict("12.6.0", "12.0.0").sendsForce)
        #expect(!verdict("12.4.0", "12.4.0").sendsForce)
    }

    @Test("across a format change or a vendor the step is blocked, naming both sides and the way out")
    func incompatible() {
        guard case .incompatible(let reason) = verdict("12.4.0", "11.17.4") else {
            Issue.record("12.4 → 11.17 crosses 12.0's format change")
            return
        }
        #expect(reason.contains("12.4.0") && reason.contains("11.17.4"))
        #expect(reason.contains("status and autosave_revision_interval"))
        #expect(reason.contains("upgrade production to 12.4.0"))
        #expect(reason.contains("force: true on production"))
        guard case .incompatible(let older) = verdict("11.12.0", "11.17.4") else {
            Issue.record("11.12 → 11.17 crosses 11.13's format change")
            return
        }
        #expect(older.contains("upgrade development to 11.17.4"))
        #expect(older.contains("systemFields"))
        guard case .incompatible(let vendor) = verdict("12.4.0", "12.4.0", vendors: ("postgres", "mysql")) else {
            Issue.record("vendors differ")
            return
        }
        #expect(vendor.contains("postgres") && vendor.contains("mysql"))
        #expect(verdict("12.4.0", "11.17.4", force: true) == .forced)
        #expect(verdict("12.4.0", "11.17.4", force: true).sendsForce)
    }

    @Test("check-config's problems compare the source with every target")
    func problems() {
        let problems = PipelineCompatibility.problems(along: [
            Seen(name: "development", version: "12.4.0", vendor: "postgres", force: false),
            Seen(name: "staging", version: "12.3.0", vendor: "postgres", force: false),
            Seen(name: "production", version: "11.17.4", vendor: "postgres", force: false),
        ])
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("development → production:") == true)
    }

    @Test("format generations follow the releases that changed snapshots")
    func generations() {
        #expect(SnapshotFormat.generation(of: DirectusVersion(12, 6, 0)) == SnapshotFormat.changes.count)
        #expect(
            SnapshotFormat.generation(of: DirectusVersion(11, 17, 4))
                == SnapshotFormat.generation(of: DirectusVersion(11, 13, 0)))
        #expect(
            SnapshotFormat.generation(of: DirectusVersion(11, 12, 0))
                < SnapshotFormat.generation(of: DirectusVersion(11, 13, 0)))
        #expect(SnapshotFormat.changes(between: DirectusVersion(11, 0, 0), and: DirectusVersion(12, 1, 0)).count == 4)
    }

    @Test("only whole collections named without * become excludeCollections")
    func excluded() {
        let rules = IgnoreRules(["scratch", "temp_*", "articles.internal", "scratch", "audit"])
        #expect(rules.excludedCollections == ["scratch", "audit"])
        #expect(IgnoreRules().excludedCollections.isEmpty)
    }

    @Test("merge mode is asked of 12.2+ targets under destructive: never")
    func mode() {
        let never = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .never)
        #expect(never.diffMode(for: DirectusVersion(12, 2, 0)) == .merge)
        #expect(never.diffMode(for: DirectusVersion(12, 1, 0)) == .mirror)
        #expect(never.diffMode(for: nil) == .mirror)
        let allow = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .allow)
        #expect(allow.diffMode(for: DirectusVersion(12, 6, 0)) == .mirror)
    }

    /// A target with `articles` (title: string, body: alias, kind: string) and `legacy`; a source where `legacy`
    /// is gone, `body` became a text column, `kind` an alias, `title` an integer, and `summary` is new.
    static func scenario() -> (current: Snapshot, desired: Snapshot) {
        func field(_ name: String, type: String) -> JSONValue {
            var value: JSONValue = [
                "collection": "articles", "field": .string(name), "type": .string(type),
                "meta": ["collection": "articles", "field": .string(name), "note": nil],
            ]
            if type != "alias", case .object(var object) = value {
                object["schema"] = [
                    "name": .string(name), "table": "articles",
                    "data_type": .string(type == "integer" ? "integer" : "text"), "is_nullable": true,
                ]
                value = .object(object)
            }
            return value
        }
        func collection(_ name: String) -> JSONValue {
            ["collection": .string(name), "meta": ["collection": .string(name)], "schema": ["name": .string(name)]]
        }
        var current = Snapshot(directus: "12.3.0", vendor: "postgres")
        current.collections = [collection("articles"), collection("legacy")]
        current.fields = [
            field("title", type: "string"), field("body", type: "alias"), field("kind", type: "string"),
        ]
        var desired = current
        desired.collections = [collection("articles")]
        desired.fields = [
            field("title", type: "integer"), field("body", type: "text"), field("kind", type: "alias"),
            field("summary", type: "text"),
        ]
        return (current, desired)
    }

    @Test("under destructive: never, Directus's merge mode and the client-side filter keep the same changes")
    func mergeEqualsFilter() throws {
        let (current, desired) = Self.scenario()
        let shaper = DiffShaper(ignore: IgnoreRules(), manageSystemIndexes: false, destructive: .never)
        let version = DirectusVersion(12, 3, 0)
        let mirror = SnapshotDiffer.diff(current: current, after: desired, mode: .mirror)
        let merge = SnapshotDiffer.diff(current: current, after: desired, mode: .merge)
        #expect(mirror != merge, "merge leaves out the deletions itself")
        let filtered = try #require(shaper.shape(mirror.json(), current: current, version: version, mode: .mirror))
        let merged = try #require(shaper.shape(merge.json(), current: current, version: version, mode: .merge))
        #expect(filtered.raw == merged.raw)
        let kept = filtered.plan.changes.map { "\($0.action.rawValue) \($0.target)" }
        #expect(kept == ["create articles.summary"], "\(kept)")
        #expect(merged.notes.contains { $0.contains("merge mode") })
        #expect(merged.notes.contains { $0.contains("replace articles.body") })
    }
}
