import DirectusSchema
import Foundation
import TestSupport
import Testing

/// Every case of `../shared/conformance/v12/`: what Directus 12.x answers, and through `alsoExpect` what 12.2–12.3
/// and 11.17.4/12.0–12.1 answer to the same request.
@Suite("Directus 12 conformance")
struct V12ConformanceTests {
    static func names(_ folder: String) -> [String] {
        ConformanceCases.names("v12/\(folder)")
    }

    static let diffCases = names("diff")
    static let partialCases = names("partial")
    static let validateCases = names("validate")
    static let applyCases = names("apply")
    static let flagCases = names("flags")
    static let uploadCases = names("upload")

    // MARK: Presence

    @Test("all 2,779 cases are present")
    func present() {
        #expect(Self.diffCases.count == 994)
        #expect(Self.partialCases.count == 776)
        #expect(Self.validateCases.count == 396)
        #expect(Self.applyCases.count == 563)
        #expect(Self.flagCases.count == 22)
        #expect(Self.uploadCases.count == 28)
    }

    // MARK: Diff

    @Test("POST /schema/diff in mirror and merge mode, full and partial uploads", arguments: diffCases)
    func diff(name: String) throws {
        let (testCase, base) = try ConformanceCases.caseFile("diff/\(name)", base: ConformanceCases.v12)
        let current = try ConformanceCases.snapshot(testCase["current"], base: base)
        let after = try ConformanceCases.snapshot(testCase["after"], base: base)
        let mode = try #require(DiffMode(rawValue: testCase["request"]?["mode"]?.stringValue ?? "mirror"))
        let expect = try #require(testCase["expect"]?.objectValue)
        let diff = SnapshotDiffer.diff(current: current, after: after, mode: mode)
        if expect["status"] == 204 {
            #expect(diff.isEmpty, "expected no changes, got \(diff.json().jsonString.prefix(600))")
            return
        }
        #expect(expect["status"] == 200)
        let expected = try #require(expect["body"]?["data"])
        #expect(diff.json().comparableText == expected["diff"]?.comparableText)
        #expect(DirectusHash.versionedHash(of: current) == expected["hash"]?.stringValue)
    }

    // MARK: Partial snapshots

    @Test("GET /schema/snapshot with a scope", arguments: partialCases)
    func partial(name: String) throws {
        let (testCase, base) = try ConformanceCases.caseFile("partial/\(name)", base: ConformanceCases.v12)
        let full = try ConformanceCases.snapshot(testCase["full"], base: base)
        let expect = try #require(testCase["expect"]?.objectValue)
        let scope: SnapshotScope
        do {
            scope = try SnapshotScope(
                includeCollections: ConformanceCases.queryValues(testCase, "includeCollections"),
                excludeCollections: ConformanceCases.queryValues(testCase, "excludeCollections"))
        } catch {
            #expect(expect["status"] == 400)
            #expect(expect["body"]?["errors"]?.arrayValue?.first?["extensions"]?["code"] == "INVALID_PAYLOAD")
            #expect(expect["messageNotReproduced"] == true, "the message is pinned: \(error)")
            return
        }
        #expect(expect["status"] == 200)
        let expected = try #require(expect["body"]?["data"])
        #expect(PartialSnapshot.of(full, scope: scope).json.comparableText == expected.comparableText)
    }

    // MARK: Validation

    @Test("POST /schema/diff checks the upload as each phase does", arguments: validateCases)
    func validate(name: String) throws {
        let (testCase, base) = try ConformanceCases.caseFile("validate/\(name)", base: ConformanceCases.v12)
        let current = try ConformanceCases.snapshot(testCase["current"], base: base)
        let upload = try ConformanceCases.resolve(testCase["after"], base: base)
        // The diff does not depend on the phase: computed once, when a phase accepts the upload.
        var computed: SnapshotDiff?
        for (version, expect) in try ConformanceCases.expectations(testCase, folder: "validate/") {
            let server = DirectusValidation.Server(
                version: try #require(current.directus), vendor: try #require(current.vendor), behaviour: version)
            let force = SchemaQuery.diffForce(ConformanceCases.queryValues(testCase, "force")?.first, version: version)
            let status = expect["status"]?.numberValue?.intValue
            do {
                try DirectusValidation.validateSnapshot(upload, server: server, force: force)
            } catch {
                #expect(status == 400, "\(version) rejected: \(error.message)")
                let expected = expect["body"]?["errors"]?.arrayValue?.first
                #expect(error.message == expected?["message"]?.stringValue, "\(version)")
                #expect(expected?["extensions"]?["reason"]?.stringValue == error.reason, "\(version)")
                continue
            }
            let diff =
                computed
                ?? SnapshotDiffer.diff(current: current, after: Snapshot(root: upload.objectValue ?? JSONObject()))
            computed = diff
            if status == 204 {
                #expect(diff.isEmpty, "\(version)")
                continue
            }
            #expect(status == 200, "\(version) accepted the upload")
            let expected = try #require(expect["body"]?["data"])
            #expect(diff.json().comparableText == expected["diff"]?.comparableText, "\(version)")
            #expect(DirectusHash.versionedHash(of: current) == expected["hash"]?.stringValue, "\(version)")
        }
    }

    // MARK: Apply

    @Test("POST /schema/apply of merge-mode diffs decides as each phase does", arguments: applyCases)
    func apply(name: String) throws {
        let (testCase, base) = try ConformanceCases.caseFile("apply/\(name)", base: ConformanceCases.v12)
        let target = try ConformanceCases.snapshot(testCase["target"], base: base)
        let body = try ConformanceCases.resolve(testCase["body"], base: base)
        for (version, expect) in try ConformanceCases.expectations(testCase) {
            let server = DirectusValidation.Server(
                version: "12.6.0", vendor: target.vendor ?? "postgres", behaviour: version)
            let force = SchemaQuery.applyForce(ConformanceCases.queryValues(testCase, "force")?.first, version: version)
            do {
                let decision = try DirectusValidation.validateApply(
                    body, current: target, currentHash: DirectusHash.versionedHash(of: target), server: server,
                    force: force)
                switch decision {
                case .nothing: #expect(expect["decision"] == "nothing", "\(version)")
                case .apply: #expect(expect["decision"] == "apply", "\(version)")
                }
                #expect(expect["status"] == 204, "\(version)")
            } catch {
                #expect(expect["decision"] == "reject", "\(version) rejected: \(error.message)")
                #expect(expect["status"] == 400, "\(version)")
                let expected = expect["body"]?["errors"]?.arrayValue?.first
                #expect(error.message == expected?["message"]?.stringValue, "\(version)")
                #expect(expected?["extensions"]?["reason"]?.stringValue == error.reason, "\(version)")
            }
        }
    }

    /// The 11.x apply cases under 12.4+ (`COMPARE-11x.json`): the same answers but for the ten whose first record
    /// is a nested `meta` `N`, which no longer counts as creating the entity.
    static let comparison: [String: JSONObject] = {
        let value = try? ConformanceCases.json("v12/COMPARE-11x.json")
        var byCase: [String: JSONObject] = [:]
        for difference in value?["differences"]?.arrayValue ?? [] {
            if let name = difference["case"]?.stringValue, let object = difference.objectValue { byCase[name] = object }
        }
        return byCase
    }()

    @Test(
        "the 11.x apply cases answer under 12.4+ as COMPARE-11x.json says",
        arguments: ValidationConformanceTests.applyCases)
    func elevenUnderTwelve(name: String) throws {
        #expect(Self.comparison.count == 10)
        let testCase = try SharedFixtures.conformanceCase("apply/\(name)")
        let target = try ValidationConformanceTests.target(testCase["target"])
        let bodyCase = try #require(testCase["body"]?["case"]?.stringValue)
        let body = try #require(try SharedFixtures.conformanceCase(bodyCase)["expect"]?["body"]?["data"])
        let expect = try #require(testCase["expect"]?.objectValue)
        let difference = Self.comparison["apply/\(name)"]
        for version in ConformanceCases.mainPhase {
            let server = DirectusValidation.Server(
                version: "11.17.4", vendor: target.vendor ?? "postgres", behaviour: version)
            let force = testCase["request"]?["force"]?.boolValue ?? false
            do {
                _ = try DirectusValidation.validateApply(
                    body, current: target, currentHash: DirectusHash.versionedHash(of: target), server: server,
                    force: force)
                #expect(expect["decision"] != "reject", "\(version) accepted")
                #expect(difference == nil)
            } catch {
                #expect(expect["decision"] == "reject", "\(version) rejected: \(error.message)")
                let expected =
                    difference?["got12"]?.stringValue
                    ?? expect["body"]?["errors"]?.arrayValue?.first?["message"]?.stringValue
                #expect(error.message == expected, "\(version)")
            }
        }
    }

    // MARK: Flags and limits

    @Test("force and mode are read from the query as each phase reads them", arguments: flagCases)
    func flags(name: String) throws {
        let (testCase, _) = try ConformanceCases.caseFile("flags/\(name)", base: ConformanceCases.v12)
        let endpoint = testCase["request"]?["endpoint"]?.stringValue
        let force = ConformanceCases.queryValues(testCase, "force")?.first
        let mode = ConformanceCases.queryValues(testCase, "mode")?.first
        for (version, expect) in try ConformanceCases.expectations(testCase) {
            if let expected = expect["force"]?.boolValue {
                let derived =
                    endpoint == "apply"
                    ? SchemaQuery.applyForce(force, version: version) : SchemaQuery.diffForce(force, version: version)
                #expect(derived == expected, "\(version)")
            } else if let expected = expect["mode"]?.stringValue {
                #expect(try SchemaQuery.diffMode(mode, version: version).rawValue == expected, "\(version)")
            } else {
                #expect(expect["status"] == 400 && expect["code"] == "INVALID_PAYLOAD")
                #expect(throws: SchemaQuery.InvalidMode.self, "\(version)") {
                    try SchemaQuery.diffMode(mode, version: version)
                }
            }
        }
    }

    @Test("upload sizes are judged as each phase judges them", arguments: uploadCases)
    func upload(name: String) throws {
        let (testCase, _) = try ConformanceCases.caseFile("upload/\(name)", base: ConformanceCases.v12)
        let request = try #require(testCase["request"])
        let limits = UploadLimits(
            environment: request["env"]?.objectValue.map {
                Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) })
            } ?? [:])
        let transport = try #require(UploadLimits.Transport(rawValue: request["transport"]?.stringValue ?? ""))
        let bytes = try #require(request["bytes"]?.numberValue?.intValue)
        for (version, expect) in try ConformanceCases.expectations(testCase) {
            let outcome = limits.outcome(transport: transport, bytes: bytes, version: version)
            switch outcome {
            case .read: #expect(expect["status"] == "read", "\(version)")
            case .payloadTooLarge:
                #expect(expect["status"] == 400, "\(version)")
                #expect(
                    expect["body"]?["errors"]?.arrayValue?.first?["message"]
                        == "Invalid payload. request entity too large.")
            case .contentTooLarge:
                #expect(expect["status"] == 413, "\(version)")
                #expect(expect["body"]?["errors"]?.arrayValue?.first?["extensions"]?["code"] == "CONTENT_TOO_LARGE")
                #expect(expect["body"]?["errors"]?.arrayValue?.first?["message"] == "Uploaded content is too large.")
            }
        }
    }
}
