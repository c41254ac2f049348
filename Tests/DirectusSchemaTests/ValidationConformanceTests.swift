import DirectusSchema
import Foundation
import Testing

/// `../shared/conformance/validate/` and `apply/`: Directus's own status and message for each upload.
@Suite("Validation and apply conformance")
struct ValidationConformanceTests {
    static let validateCases = SharedFixtures.files(in: SharedFixtures.conformance.appendingPathComponent("validate"))
        .filter { !$0.hasPrefix("_") }
    static let applyCases = SharedFixtures.files(in: SharedFixtures.conformance.appendingPathComponent("apply"))

    static let server: Snapshot = {
        let value = try? SharedFixtures.readJSON(
            SharedFixtures.conformance.appendingPathComponent("validate/_server.json"))
        return Snapshot(root: value?.objectValue ?? JSONObject())
    }()

    @Test("all cases are present")
    func present() {
        #expect(Self.validateCases.count == 204)
        #expect(Self.applyCases.count == 471)
    }

    @Test("POST /schema/diff checks answer as Directus does", arguments: validateCases)
    func validate(name: String) throws {
        let testCase = try SharedFixtures.conformanceCase("validate/\(name)")
        let upload = try SharedFixtures.snapshotValue(testCase["after"])
        let force = testCase["request"]?["force"]?.boolValue ?? false
        let expect = try #require(testCase["expect"]?.objectValue)
        let status = expect["status"]?.numberValue?.intValue
        let server = DirectusValidation.Server(
            version: try #require(Self.server.directus), vendor: try #require(Self.server.vendor))
        do {
            try DirectusValidation.validateSnapshot(upload, server: server, force: force)
        } catch {
            #expect(status == 400, "rejected: \(error.message)")
            let expected = expect["body"]?["errors"]?.arrayValue?.first
            #expect(error.message == expected?["message"]?.stringValue)
            #expect(expected?["extensions"]?["code"] == "INVALID_PAYLOAD")
            #expect(expected?["extensions"]?["reason"]?.stringValue == error.reason)
            return
        }
        let diff = SnapshotDiffer.diff(current: Self.server, after: Snapshot(root: upload.objectValue ?? JSONObject()))
        if status == 204 {
            #expect(diff.isEmpty)
            return
        }
        #expect(status == 200)
        let expected = try #require(expect["body"]?["data"])
        #expect(diff.json().comparableText == expected["diff"]?.comparableText)
        #expect(DirectusHash.versionedHash(of: Self.server) == expected["hash"]?.stringValue)
    }

    /// The snapshot a case's `target` names.
    static func target(_ reference: JSONValue?) throws -> Snapshot {
        if let inline = reference?["inline"] { return Snapshot(root: inline.objectValue ?? JSONObject()) }
        let caseName = try #require(reference?["case"]?.stringValue)
        let side = try #require(reference?["side"]?.stringValue)
        return try SharedFixtures.snapshot(try SharedFixtures.conformanceCase(caseName)[side])
    }

    @Test("POST /schema/apply decides as Directus does", arguments: applyCases)
    func apply(name: String) throws {
        let testCase = try SharedFixtures.conformanceCase("apply/\(name)")
        let target = try Self.target(testCase["target"])
        let bodyCase = try #require(testCase["body"]?["case"]?.stringValue)
        let body = try #require(try SharedFixtures.conformanceCase(bodyCase)["expect"]?["body"]?["data"])
        let force = testCase["request"]?["force"]?.boolValue ?? false
        let expect = try #require(testCase["expect"]?.objectValue)
        let server = DirectusValidation.Server(version: "11.17.4", vendor: target.vendor ?? "postgres")
        do {
            let decision = try DirectusValidation.validateApply(
                body, current: target, currentHash: DirectusHash.versionedHash(of: target), server: server, force: force
            )
            switch decision {
            case .nothing: #expect(expect["decision"] == "nothing")
            case .apply: #expect(expect["decision"] == "apply")
            }
            #expect(expect["status"] == 204)
        } catch {
            #expect(expect["decision"] == "reject", "rejected: \(error.message)")
            #expect(expect["status"] == 400)
            let expected = expect["body"]?["errors"]?.arrayValue?.first
            #expect(error.message == expected?["message"]?.stringValue)
            #expect(expected?["extensions"]?["reason"]?.stringValue == error.reason)
        }
    }
}

@Suite("Joi messages")
struct JoiMessageTests {
    static let server = DirectusValidation.Server(version: "11.17.4", vendor: "postgres")
    static let oldServer = DirectusValidation.Server(version: "11.12.0", vendor: "postgres")

    func reason(_ upload: JSONValue, server: DirectusValidation.Server = server) -> String? {
        do {
            try DirectusValidation.validateSnapshot(upload, server: server, force: true)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("snapshot shape errors read as Joi writes them")
    func snapshotMessages() {
        #expect(reason(["directus": "11.17.4"]) == "\"version\" is required")
        #expect(reason(["version": 3, "directus": "11.17.4"]) == "\"version\" must be [1]")
        #expect(reason(["version": "1", "directus": "11.17.4"]) == nil, "Joi converts numeric strings")
        #expect(reason(["version": 1, "directus": 11]) == "\"directus\" must be a string")
        #expect(reason(["version": 1, "directus": ""]) == "\"directus\" is not allowed to be empty")
        #expect(
            reason(["version": 1, "directus": "x", "vendor": "db2"])
                == "\"vendor\" must be one of [mysql, postgres, cockroachdb, sqlite, oracle, mssql, redshift]")
        #expect(
            reason(["version": 1, "directus": "x", "collections": [["collection": "a", "fields": []]]])
                == "\"collections[0].fields\" is not allowed")
        #expect(
            reason(["version": 1, "directus": "x", "fields": [["collection": "a", "field": "b", "type": "str"]]])?
                .hasPrefix("\"fields[0].type\" must be one of [bigInteger, boolean, date,") == true)
        #expect(
            reason(["version": 1, "directus": "x", "fields": [["collection": "a", "schema": ["anything": 1]]]]) == nil)
        #expect(
            reason(["version": 1, "directus": "x", "systemFields": []], server: Self.oldServer)
                == "\"systemFields\" is not allowed")
        #expect(reason(["version": 1, "directus": "x", "extra": true]) == "\"extra\" is not allowed")
    }

    @Test("apply body errors read as Joi writes them")
    func applyMessages() {
        func reason(_ body: JSONValue, server: DirectusValidation.Server = Self.server) -> String? {
            do {
                _ = try DirectusValidation.validateApply(
                    body, current: Snapshot(directus: "11.17.4", vendor: "postgres"), currentHash: "h", server: server,
                    force: false)
                return nil
            } catch {
                return error.reason
            }
        }
        let empty: JSONValue = ["collections": [], "fields": [], "systemFields": [], "relations": []]
        #expect(reason(["diff": empty]) == "\"hash\" is required")
        #expect(
            reason(["hash": "h", "diff": ["collections": [], "fields": [], "relations": []]])
                == "\"diff.systemFields\" is required")
        #expect(reason(["hash": "h", "diff": empty], server: Self.oldServer) == "\"diff.systemFields\" is not allowed")
        #expect(
            reason([
                "hash": "h",
                "diff": [
                    "collections": [["collection": "a", "diff": [["kind": "X"]]]], "fields": [], "systemFields": [],
                    "relations": [],
                ],
            ])
                == "\"diff.collections[0].diff[0].kind\" must be one of [N, D, E, A]")
        #expect(
            reason([
                "hash": "h",
                "diff": [
                    "collections": [["collection": "a", "diff": [["kind": "E", "path": ["x"], "rhs": 1]]]],
                    "fields": [], "systemFields": [], "relations": [],
                ],
            ])
                == "\"diff.collections[0].diff[0].lhs\" is required")
        #expect(
            reason([
                "hash": "h",
                "diff": [
                    "collections": [["collection": "a", "diff": [["kind": "A", "path": ["x"]]]]], "fields": [],
                    "systemFields": [], "relations": [],
                ],
            ])
                == "\"diff.collections[0].diff[0].index\" is required")
        #expect(reason(["hash": "x", "diff": empty]) == nil, "an empty diff does nothing")
    }
}
