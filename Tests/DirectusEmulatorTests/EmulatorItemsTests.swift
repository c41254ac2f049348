import DirectusEmulator
import DirectusSchema
import Foundation
import NIOHTTP1
import TestSupport
import Testing

@Suite("Emulator: items and imports")
struct EmulatorItemsTests {
    func instance(persist: String? = nil) throws -> EmulatedInstance {
        try makeInstance(snapshot: ReferenceData.snapshot, persist: persist)
    }

    @Test("rows are created, read in pages with counts, updated and deleted over /items")
    func crud() async throws {
        let instance = try instance()
        try await withEmulator(instance) { base in
            let created = try await Raw.postJSON(
                "\(base)/items/countries",
                .array(
                    ReferenceData.countries(5).map { row in
                        var row = row
                        row.removeValue(forKey: "id")
                        return .object(row)
                    }))
            #expect(created.status == 200)
            #expect(created.json?["data"]?.arrayValue?.map { $0["id"] } == [1, 2, 3, 4, 5])
            let page = try await Raw.send(.GET, "\(base)/items/countries?limit=2&offset=1&sort=-code&meta=filter_count")
            #expect(page.json?["data"]?.arrayValue?.map { $0["code"] } == ["AD", "AC"])
            #expect(page.json?["meta"]?["filter_count"] == 5)
            let all = try await Raw.send(.GET, "\(base)/items/countries?limit=-1")
            #expect(all.json?["data"]?.arrayValue?.count == 5)
            let patched = try await Raw.send(
                .PATCH, "\(base)/items/countries/2", headers: [("Content-Type", "application/json")],
                body: JSONWriter().bytes(["name": "Renamed", "unknown": "ignored"]))
            #expect(patched.json?["data"]?["name"] == "Renamed")
            #expect(patched.json?["data"]?["unknown"] == nil)
            let city = try await Raw.postJSON("\(base)/items/cities", ["name": "Paris", "country": 2])
            #expect(city.json?["data"]?["id"] == 1)
            // Deleting the country sets the city's reference to null (SET NULL).
            let deleted = try await Raw.send(
                .DELETE, "\(base)/items/countries", headers: [("Content-Type", "application/json")],
                body: JSONWriter().bytes([2, 3]))
            #expect(deleted.status == 204)
            #expect(await instance.itemRows("countries").count == 3)
            #expect(await instance.itemRows("cities").first?["country"] == .null)
            #expect(try await Raw.send(.GET, "\(base)/items/planets").status == 403)
            #expect(try await Raw.send(.GET, "\(base)/items/directus_roles").status == 403)
            let counted = try await Raw.send(.GET, "\(base)/items/countries?aggregate[count]=*")
            #expect(counted.json?["data"]?.arrayValue?.first?["count"] == 3)
        }
    }

    @Test("Directus's answers for bad rows: null, duplicate, dangling reference, too long")
    func badRows() async throws {
        let instance = try instance()
        try await withEmulator(instance) { base in
            let missing = try await Raw.postJSON("\(base)/items/countries", ["name": "No code"])
            #expect(missing.status == 400 && missing.errorCode == "NOT_NULL_VIOLATION")
            #expect(missing.errorMessage == "Value for field \"code\" in collection \"countries\" can't be null.")
            _ = try await Raw.postJSON("\(base)/items/countries", ["code": "FR", "name": "France"])
            let twice = try await Raw.postJSON("\(base)/items/countries", ["code": "FR", "name": "Again"])
            #expect(twice.errorCode == "RECORD_NOT_UNIQUE")
            #expect(
                twice.errorMessage == "Value \"FR\" for field \"code\" in collection \"countries\" has to be unique.")
            let dangling = try await Raw.postJSON("\(base)/items/cities", ["name": "Nowhere", "country": 99])
            #expect(dangling.errorCode == "INVALID_FOREIGN_KEY")
            #expect(
                dangling.errorMessage == "Invalid foreign key \"99\" for field \"country\" in collection \"cities\".")
            let long = try await Raw.postJSON("\(base)/items/countries", ["code": "TOOLONGCODE", "name": "x"])
            #expect(long.errorCode == "VALUE_TOO_LONG")
            // A batch is one transaction: the good row before the bad one does not stay.
            let batch = try await Raw.postJSON(
                "\(base)/items/countries", [["code": "DE", "name": "Germany"], ["code": "FR", "name": "Twice"]])
            #expect(batch.status == 400)
            #expect(await instance.itemRows("countries").map { $0["code"] } == ["FR"])
        }
    }

    @Test("an import upserts every row of a JSON file in one transaction, and answers 200 with no body")
    func importFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("items-\(UUID().uuidString).json")
        defer {
            try? FileManager.default.removeItem(at: path)
            try? FileManager.default.removeItem(atPath: path.path + ".items.json")
        }
        let instance = try instance(persist: path.path)
        try await withEmulator(instance) { base in
            _ = try await Raw.postJSON("\(base)/items/countries", ["code": "FR", "name": "Fronce"])
            let rows: JSONValue = [["id": 1, "name": "France"], ["code": "DE", "name": "Germany"]]
            let imported = try await Raw.postFile("\(base)/utils/import/countries", JSONWriter().bytes(rows))
            #expect(imported.status == 200 && imported.body.isEmpty)
            #expect(await instance.itemRows("countries").map { $0["name"] } == ["France", "Germany"])
            // One bad row: nothing of the file stays.
            let bad: JSONValue = [["code": "IT", "name": "Italy"], ["code": "DE", "name": "Twice"]]
            let refused = try await Raw.postFile("\(base)/utils/import/countries", JSONWriter().bytes(bad))
            #expect(refused.status == 400 && refused.errorCode == "RECORD_NOT_UNIQUE")
            #expect(await instance.itemRows("countries").count == 2)
            let csv = try await Raw.postFile(
                "\(base)/utils/import/countries", Array("a,b".utf8), contentType: "text/yaml")
            #expect(csv.status == 415 && csv.errorCode == "UNSUPPORTED_MEDIA_TYPE")
            let notMultipart = try await Raw.postJSON("\(base)/utils/import/countries", rows)
            #expect(notMultipart.status == 415)
            #expect(try await Raw.postFile("\(base)/utils/import/planets", JSONWriter().bytes(rows)).status == 403)
            #expect(
                try await Raw.postFile(
                    "\(base)/utils/import/countries", JSONWriter().bytes(rows), token: "editor-token"
                )
                .status == 403)
        }
        // Persisted beside the schema: a restarted emulator has the rows.
        let restarted = try self.instance(persist: path.path)
        #expect(await restarted.itemRows("countries").map { $0["code"] } == ["FR", "DE"])
    }
}

@Suite("Emulator: 12.2's batch import")
struct EmulatorBatchImportTests {
    static func file(_ entries: JSONValue) -> [UInt8] { JSONWriter().bytes(entries) }

    @Test("several collections in one transaction, parents first, new keys followed by references; dry runs roll back")
    func batch() async throws {
        let instance = try makeInstance(version: "12.2.0", snapshot: ReferenceData.snapshot)
        await instance.setItemRows(ReferenceData.countries(2, firstID: 7), for: "countries")
        try await withEmulator(instance) { base in
            // Cities first in the file: the instance orders by references. Country 900 is the upload's own key.
            let upload: JSONValue = [
                ["collection": "cities", "items": [["name": "Lima", "country": 900]]],
                [
                    "collection": "countries",
                    "items": [["id": 7, "name": "Renamed"], ["id": 900, "code": "PE", "name": "Peru"]],
                ],
            ]
            let dry = try await Raw.postFile("\(base)/utils/import?mode=merge&dryRun=true", Self.file(upload))
            #expect(dry.status == 200)
            #expect(dry.json?["data"]?["applied"] == false)
            #expect(
                dry.json?["data"]?["collections"]?["countries"]
                    == ["existing": 1, "new": 1, "deleted": 0, "mapped": 1])
            #expect(await instance.itemRows("cities").isEmpty)
            #expect(await instance.itemRows("countries").map { $0["name"] } == ["Country AA", "Country AB"])
            let real = try await Raw.postFile("\(base)/utils/import?mode=merge", Self.file(upload))
            #expect(real.json?["data"]?["applied"] == true)
            let peru = try #require(await instance.itemRows("countries").first { $0["code"] == "PE" })
            #expect(peru["id"] == 9)
            #expect(await instance.itemRows("cities").first?["country"] == 9)
            // A bad row anywhere: nothing stays.
            let bad: JSONValue = [
                ["collection": "countries", "items": [["code": "DE", "name": "Germany"]]],
                ["collection": "cities", "items": [["name": "Nowhere", "country": 404]]],
            ]
            let refused = try await Raw.postFile("\(base)/utils/import?mode=merge", Self.file(bad))
            #expect(refused.status == 400 && refused.errorCode == "INVALID_FOREIGN_KEY")
            #expect(await instance.itemRows("countries").count == 3)
            let nested: JSONValue = [["collection": "cities", "items": [["name": "Oslo", "country": ["code": "NO"]]]]]
            let refusedNested = try await Raw.postFile("\(base)/utils/import", Self.file(nested))
            #expect(refusedNested.status == 400 && refusedNested.errorCode == "INVALID_PAYLOAD")
            // Merge with deletions allowed mirrors the collection.
            let mirror: JSONValue = [["collection": "cities", "items": []]]
            let mirrored = try await Raw.postFile(
                "\(base)/utils/import?mode=merge&dangerouslyAllowDelete=true", Self.file(mirror))
            #expect(mirrored.json?["data"]?["collections"]?["cities"]?["deleted"] == 1)
            #expect(await instance.itemRows("cities").isEmpty)
        }
    }

    @Test("before 12.2 the route does not exist; references in a cycle are refused")
    func versionsAndCycles() async throws {
        try await withEmulator(try makeInstance(version: "12.1.0", snapshot: ReferenceData.snapshot)) { base in
            let answer = try await Raw.postFile("\(base)/utils/import", Array("[]".utf8))
            #expect(answer.status == 404 && answer.errorCode == "ROUTE_NOT_FOUND")
        }
        var snapshot = ReferenceData.snapshot
        snapshot.fields.append(
            SnapshotBuilder.field(
                "countries", "capital", type: "integer", dataType: "integer", length: nil, nullable: true,
                special: ["m2o"], references: "cities"))
        snapshot.relations.append(SnapshotBuilder.manyToOne("countries", "capital", to: "cities"))
        try await withEmulator(try makeInstance(version: "12.2.0", snapshot: snapshot)) { base in
            let upload: JSONValue = [
                ["collection": "countries", "items": []], ["collection": "cities", "items": []],
            ]
            let answer = try await Raw.postFile("\(base)/utils/import", Self.file(upload))
            #expect(answer.status == 400 && answer.errorCode == "IMPORT_CYCLICAL_RELATION")
        }
    }
}
