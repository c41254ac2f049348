import DirectusSchema
import Foundation
import Testing

/// Every case of `../shared/conformance/v12/`: what Directus 12.x answers, and through `alsoExpect` what 12.2–12.3
/// and 11.17.4/12.0–12.1 answer to the same request.
@Suite("Directus 12 conformance")
struct V12ConformanceTests {
    static func names(_ folder: String) -> [String] {
        SharedFixtures.files(in: SharedFixtures.v12.appendingPathComponent(folder)).filter { !$0.hasPrefix("_") }
    }

    static let diffCases = names("diff")
    static let partialCases = names("partial")
    static let validateCases = names("validate")
    static let applyCases = names("apply")
    static let flagCases = names("flags")
    static let uploadCases = names("upload")

    /// `api: "12.x"` is 12.2+ with #27880; the phases `alsoExpect` names, each with the releases standing for it.
    static let mainPhase = [DirectusVersion(12, 4, 0), DirectusVersion(12, 6, 0)]
    static let olderPhases: [String: [DirectusVersion]] = [
        "12.2-12.3": [DirectusVersion(12, 2, 0), DirectusVersion(12, 3, 0)],
        "11.17.4/12.0-12.1": [DirectusVersion(11, 17, 4), DirectusVersion(12, 0, 0), DirectusVersion(12, 1, 0)],
    ]

    /// Each release to check with the answer expected of it: the main phase's, then each older phase's
    /// (`"same as 12.2-12.3"` follows the reference); phases not named answer as the main one. A `note11` naming
    /// another case ("the answer there is the one of X.json") gives 11.17.4/12.0–12.1's answer.
    static func expectations(_ testCase: JSONObject, folder: String = "") throws -> [(DirectusVersion, JSONObject)] {
        let main = try #require(testCase["expect"]?.objectValue)
        var result = mainPhase.map { ($0, main) }
        var also = testCase["alsoExpect"]?.objectValue ?? JSONObject()
        if let note = testCase["note11"]?.stringValue, also["11.17.4/12.0-12.1"] == nil {
            let marker = "the answer there is the one of "
            let start = try #require(note.range(of: marker)?.upperBound, "unreadable note11: \(note)")
            let end = try #require(note[start...].range(of: ".json")?.upperBound, "unreadable note11: \(note)")
            let (other, _) = try SharedFixtures.caseFile(folder + String(note[start..<end]), root: SharedFixtures.v12)
            also["11.17.4/12.0-12.1"] = other["expect"]
        }
        var resolved: [String: JSONObject] = [:]
        for phase in ["12.2-12.3", "11.17.4/12.0-12.1"] {
            var answer = main
            if let value = also[phase] {
                if let object = value.objectValue {
                    answer = object
                } else if let text = value.stringValue, text.hasPrefix("same as "),
                    let other = resolved[String(text.dropFirst("same as ".count))]
                {
                    answer = other
                } else {
                    throw SharedFixtures.FixtureError("unreadable alsoExpect \(value.jsonString)")
                }
            }
            resolved[phase] = answer
            result += olderPhases[phase]!.map { ($0, answer) }
        }
        return result
    }

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
        let (testCase, root) = try SharedFixtures.caseFile("diff/\(name)", root: SharedFixtures.v12)
        let current = try SharedFixtures.snapshot(testCase["current"], root: root)
        let after = try SharedFixtures.snapshot(testCase["after"], root: root)
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

    static func queryValues(_ value: JSONValue?) -> [String]? {
        guard let value else { return nil }
        if let text = value.stringValue { return [text] }
        return value.arrayValue?.compactMap(\.stringValue)
    }

    @Test("GET /schema/snapshot with a scope", arguments: partialCases)
    func partial(name: String) throws {
        let (testCase, root) = try SharedFixtures.caseFile("partial/\(name)", root: SharedFixtures.v12)
        let full = try SharedFixtures.snapshot(testCase["full"], root: root)
        let query = testCase["request"]?["query"]
        let expect = try #require(testCase["expect"]?.objectValue)
        let scope: SnapshotScope
        do {
            scope = try SnapshotScope(
                includeCollections: Self.queryValues(query?["includeCollections"]),
                excludeCollections: Self.queryValues(query?["excludeCollections"]))
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

    static func query(_ testCase: JSONObject, _ key: String) -> String? {
        testCase["request"]?["query"]?[key]?.stringValue
    }

    @Test("POST /schema/diff checks the upload as each phase does", arguments: validateCases)
    func validate(name: String) throws {
        let (testCase, root) = try SharedFixtures.caseFile("validate/\(name)", root: SharedFixtures.v12)
        let current = try SharedFixtures.snapshot(testCase["current"], root: root)
        let upload = try SharedFixtures.resolve(testCase["after"], root: root)
        // The diff does not depend on the phase: computed once, when a phase accepts the upload.
        var computed: SnapshotDiff?
        for (version, expect) in try Self.expectations(testCase, folder: "validate/") {
            let server = DirectusValidation.Server(
                version: try #require(current.directus), vendor: try #require(current.vendor), behaviour: version)
            let force = SchemaQuery.diffForce(Self.query(testCase, "force"), version: version)
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
        let (testCase, root) = try SharedFixtures.caseFile("apply/\(name)", root: SharedFixtures.v12)
        let target = try SharedFixtures.snapshot(testCase["target"], root: root)
        let body = try SharedFixtures.resolve(testCase["body"], root: root)
        for (version, expect) in try Self.expectations(testCase) {
            let server = DirectusValidation.Server(
                version: "12.6.0", vendor: target.vendor ?? "postgres", behaviour: version)
            let force = SchemaQuery.applyForce(Self.query(testCase, "force"), version: version)
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
        let value = try? SharedFixtures.readJSON(SharedFixtures.v12.appendingPathComponent("COMPARE-11x.json"))
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
        for version in Self.mainPhase {
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
        let (testCase, _) = try SharedFixtures.caseFile("flags/\(name)", root: SharedFixtures.v12)
        let endpoint = testCase["request"]?["endpoint"]?.stringValue
        let force = Self.query(testCase, "force")
        let mode = Self.query(testCase, "mode")
        for (version, expect) in try Self.expectations(testCase) {
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
        let (testCase, _) = try SharedFixtures.caseFile("upload/\(name)", root: SharedFixtures.v12)
        let request = try #require(testCase["request"])
        let limits = UploadLimits(
            environment: request["env"]?.objectValue.map {
                Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) })
            } ?? [:])
        let transport = try #require(UploadLimits.Transport(rawValue: request["transport"]?.stringValue ?? ""))
        let bytes = try #require(request["bytes"]?.numberValue?.intValue)
        for (version, expect) in try Self.expectations(testCase) {
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
