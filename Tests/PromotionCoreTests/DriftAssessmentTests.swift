import DirectusSchema
import Foundation
import PromotionCore
import TestSupport
import Testing

@Suite("Drift assessment")
struct DriftAssessmentTests {
    static let base: Snapshot = {
        var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
        snapshot.collections = [
            ["collection": "city", "meta": ["collection": "city", "note": nil], "schema": ["name": "city"]]
        ]
        snapshot.fields = [
            [
                "collection": "city", "field": "id", "type": "integer", "meta": ["collection": "city", "field": "id"],
                "schema": ["name": "id"],
            ],
            [
                "collection": "city", "field": "name", "type": "string",
                "meta": ["collection": "city", "field": "name"], "schema": ["name": "name", "max_length": 255],
            ],
        ]
        return snapshot
    }()

    @Test("the same schema, in any key order, is in sync")
    func inSync() throws {
        #expect(DriftAssessment.assess(expected: Self.base, observed: Self.base) == .inSync)
        let reordered = Snapshot(
            root: try #require(try JSONParser.parse(JSONWriter.canonical.string(Self.base.json)).objectValue))
        #expect(DriftAssessment.assess(expected: Self.base, observed: reordered) == .inSync)
    }

    @Test("a change made directly on the environment is drift, with a readable summary")
    func drift() throws {
        var observed = Self.base
        observed.fields =
            observed.fields + [
                [
                    "collection": "city", "field": "extra", "type": "string",
                    "meta": ["collection": "city", "field": "extra"], "schema": ["name": "extra"],
                ]
            ]
        guard case .drifted(let report) = DriftAssessment.assess(expected: Self.base, observed: observed) else {
            Issue.record("expected drift")
            return
        }
        #expect(report.summary == "1 change made outside the pipeline: + field city.extra")
        #expect(report.observedHash == observed.contentHash)
        #expect(report.expectedHash == Self.base.contentHash)
    }

    @Test("an upgrade is not drift; an upgrade plus an edit is")
    func upgrade() throws {
        var upgraded = Self.base
        upgraded.root["directus"] = "11.18.0"
        upgraded.fields = upgraded.fields.map { field in
            guard case .object(var object) = field, case .object(var meta)? = object["meta"] else { return field }
            meta["searchable"] = true
            object["meta"] = .object(meta)
            return .object(object)
        }
        upgraded.systemFields = [
            ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]]
        ]
        #expect(
            DriftAssessment.assess(expected: Self.base, observed: upgraded) == .upgraded(from: "11.17.4", to: "11.18.0")
        )

        var edited = upgraded
        var fields = edited.fields
        if case .object(var name) = fields[1], case .object(var schema)? = name["schema"] {
            schema["max_length"] = 100
            name["schema"] = .object(schema)
            fields[1] = .object(name)
        }
        edited.fields = fields
        guard case .drifted(let report) = DriftAssessment.assess(expected: Self.base, observed: edited) else {
            Issue.record("an edit during an upgrade is drift")
            return
        }
        #expect(report.summary.contains("city.name"))
    }

    @Test("a real upgrade with real edits (jsdelivr 11.12.0 to 11.17.4): drift, reported without the upgrade's noise")
    func realUpgrade() throws {
        let before = try SnapshotLoader.load(
            contentsOfFile: Shared.corpus.appendingPathComponent(
                "jsdelivr__globalping-dash-directus__snapshots__collections-schema__d9641337.yml"
            ).path
        ).snapshot
        let after = try SnapshotLoader.load(
            contentsOfFile: Shared.corpus.appendingPathComponent(
                "jsdelivr__globalping-dash-directus__snapshots__collections-schema__8f80fc4e.yml"
            ).path
        ).snapshot
        // The pair adds meta.searchable to 145 fields and 52 system indexes (the upgrade), and changes two column
        // types, deletes a field and renames a constraint (people).
        guard case .drifted(let report) = DriftAssessment.assess(expected: before, observed: after) else {
            Issue.record("the pair has real edits")
            return
        }
        #expect(report.plan.changes.count == 4, "\(report.summary)")
        #expect(!report.plan.changes.contains { $0.entity == .systemField })
        #expect(!report.plan.changes.flatMap(\.details).contains { $0.path == "meta.searchable" })
        #expect(report.summary.hasPrefix("4 changes made outside the pipeline:"))
    }
}
