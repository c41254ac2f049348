import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// `destructive: never` on a 12.2+ target is Directus's own merge mode; on an older target it is the client-side
/// filter. Both land the same schema.
@Suite("Merge mode")
struct MergeModeTests {
    /// The base schema with `city.population` added, `city.name` deleted and `state.name` turned into an alias
    /// (a replacement: deleted and created again).
    static let source: Snapshot = {
        var dev = withField("population", on: withoutField("name", in: "city", of: baseSnapshot))
        dev.fields = dev.fields.map { field in
            guard field["collection"] == "state", field["field"] == "name" else { return field }
            return [
                "collection": "state", "field": "name", "type": "alias",
                "meta": [
                    "collection": "state", "field": "name", "interface": "presentation-divider",
                    "special": ["alias", "no-data"],
                ],
            ]
        }
        return dev
    }()

    @Test("a 12.3 target diffed in merge mode and a 12.1 target filtered by the client end with the same schema")
    func sameAppliedResult() async throws {
        try await withPipeline(
            dev: Self.source, devVersion: "12.3.0", stagingVersion: "12.3.0", productionVersion: "12.1.0"
        ) { h in
            let engine = try h.engine { if $0.name != "development" { $0.destructive = .never } }
            _ = await engine.tick()
            try h.decide(.approve, "production")
            _ = await engine.tick()
            _ = await engine.tick()
            #expect(try h.latest("staging").state == .applied)
            #expect(try h.latest("production").state == .applied)

            let merged = await h.staging.queries(method: "POST", path: "/schema/diff")
            #expect(!merged.isEmpty && merged.allSatisfy { $0["mode"] == "merge" })
            let filtered = await h.production.queries(method: "POST", path: "/schema/diff")
            #expect(!filtered.isEmpty && filtered.allSatisfy { $0["mode"] == nil }, "12.1 reads no mode")

            let staging = await h.staging.schema()
            let production = await h.production.schema()
            for list in ["collections", "fields", "systemFields", "relations"] {
                #expect(staging.root[list] == production.root[list], "\(list)")
            }
            let fields = staging.fields.map {
                "\($0["collection"]?.stringValue ?? "").\($0["field"]?.stringValue ?? "")"
            }
            #expect(fields.contains("city.population"))
            #expect(fields.contains("city.name"), "never deleted")
            #expect(
                staging.fields.contains {
                    $0["field"] == "name" && $0["collection"] == "state" && $0["type"] == "string"
                })

            let notes = try h.store.events(promotionID: try h.latest("staging").id).map(\.message)
            #expect(notes.contains { $0.contains("merge mode") })
            #expect(notes.contains { $0.contains("replace state.name") })
        }
    }
}
