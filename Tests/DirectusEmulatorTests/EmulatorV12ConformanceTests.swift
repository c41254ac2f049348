import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// The Directus 12 cases over real HTTP: an emulator started as a 12.x release answers each request as the case
/// says, and one started as an older release answers as `alsoExpect` says.
@Suite("Emulator Directus 12 conformance over HTTP", .serialized)
struct EmulatorV12ConformanceTests {
    static let diffCases = ConformanceCases.names("v12/diff")
    static let partialCases = ConformanceCases.names("v12/partial")
    static let validateCases = ConformanceCases.names("v12/validate")
    static let applyCases = ConformanceCases.names("v12/apply")
    static let flagCases = ConformanceCases.names("v12/flags")
    static let uploadCases = ConformanceCases.names("v12/upload")

    /// An instance that reports `snapshot` as recorded (header included) and behaves as `version`.
    static func replaying(_ snapshot: Snapshot, version: DirectusVersion) throws -> EmulatedInstance {
        var configuration = EmulatorConfiguration.withAdminToken(
            Raw.adminToken, version: version.description, vendor: snapshot.vendor ?? "postgres")
        configuration.replaysRecordedCases = true
        return try EmulatedInstance(configuration: configuration, snapshot: snapshot)
    }

    /// `?a=b&c` from a case's query (a list is sent as a repeated parameter).
    static func queryString(_ testCase: JSONObject, keys: [String]) -> String {
        var items: [String] = []
        for key in keys {
            for value in ConformanceCases.queryValues(testCase, key) ?? [] {
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
                items.append(value.isEmpty && key == "force" ? key : "\(key)=\(encoded)")
            }
        }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    @Test("GET /schema/snapshot with a scope, on 12.6", arguments: partialCases)
    func partial(name: String) async throws {
        let (testCase, base) = try ConformanceCases.v12Case("partial/\(name)")
        let full = try ConformanceCases.snapshot(testCase["full"], base: base)
        let expect = try #require(testCase["expect"]?.objectValue)
        let instance = try EmulatedInstance(
            configuration: .withAdminToken(Raw.adminToken, version: "12.6.0", vendor: full.vendor ?? "postgres"),
            snapshot: full)
        let query = Self.queryString(testCase, keys: ["includeCollections", "excludeCollections"])
        try await withEmulator(instance) { url in
            let response = try await Raw.send(.GET, url + "/schema/snapshot" + query)
            #expect(response.status == expect["status"]?.numberValue?.intValue)
            if response.status == 400 {
                #expect(response.errorCode == "INVALID_PAYLOAD")
                return
            }
            let data = try #require(response.json?["data"])
            let expected = try #require(expect["body"]?["data"])
            // The instance reports its own version in the header; the recorded partial kept the file's label.
            #expect(data["version"] == expected["version"])
            for list in ["collections", "fields", "systemFields", "relations"] {
                #expect(data[list]?.comparableText == expected[list]?.comparableText, "\(list)")
            }
        }
    }

    @Test("GET /schema/snapshot ignores a scope before 12.2")
    func scopeIgnoredBefore12_2() async throws {
        let (testCase, base) = try ConformanceCases.v12Case(
            "partial/\(Self.partialCases.first { $0.hasPrefix("snap-inc-some-") } ?? "")")
        let full = try ConformanceCases.snapshot(testCase["full"], base: base)
        let instance = try EmulatedInstance(
            configuration: .withAdminToken(Raw.adminToken, version: "12.1.0"), snapshot: full)
        try await withEmulator(instance) { url in
            let query = Self.queryString(testCase, keys: ["includeCollections"])
            let response = try await Raw.send(.GET, url + "/schema/snapshot" + query)
            let data = try #require(response.json?["data"])
            #expect(data["version"] == 1)
            #expect(data["collections"]?.arrayValue?.count == full.collections.count)
        }
    }

    @Test("POST /schema/diff in both modes, full and partial uploads, on 12.6", arguments: diffCases)
    func diff(name: String) async throws {
        let (testCase, base) = try ConformanceCases.v12Case("diff/\(name)")
        let current = try ConformanceCases.snapshot(testCase["current"], base: base)
        let upload = try ConformanceCases.resolve(testCase["after"], base: base)
        let mode = testCase["request"]?["mode"]?.stringValue ?? "mirror"
        let expect = try #require(testCase["expect"]?.objectValue)
        let instance = try Self.replaying(current, version: DirectusVersion(12, 6, 0))
        try await withEmulator(instance) { url in
            let response = try await Raw.postSnapshot(url + "/schema/diff?force&mode=\(mode)", upload)
            if response.status == 400 {
                // Computed with validation off; over HTTP the shape check runs even with force, as Directus's does.
                let server = DirectusValidation.Server(version: "12.6.0", vendor: current.vendor ?? "postgres")
                #expect(throws: DirectusValidation.InvalidPayload.self, "\(response.errorMessage ?? "")") {
                    try DirectusValidation.validateSnapshot(upload, server: server, force: true)
                }
                return
            }
            #expect(response.status == expect["status"]?.numberValue?.intValue)
            if response.status == 200 {
                let data = try #require(response.json?["data"])
                #expect(data["hash"] == expect["body"]?["data"]?["hash"])
                #expect(data["diff"]?.comparableText == expect["body"]?["data"]?["diff"]?.comparableText)
            }
        }
    }

    @Test("POST /schema/diff validates uploads as 12.6 does", arguments: validateCases)
    func validate(name: String) async throws {
        let (testCase, base) = try ConformanceCases.v12Case("validate/\(name)")
        let server = try ConformanceCases.snapshot(testCase["current"], base: base)
        let upload = try ConformanceCases.resolve(testCase["after"], base: base)
        let expect = try #require(testCase["expect"]?.objectValue)
        let instance = try EmulatedInstance(
            configuration: .withAdminToken(
                Raw.adminToken, version: try #require(server.directus), vendor: try #require(server.vendor)),
            snapshot: server)
        try await withEmulator(instance) { url in
            let response = try await Raw.postFile(
                url + "/schema/diff" + Self.queryString(testCase, keys: ["force"]), JSONWriter().bytes(upload))
            expectRecordedAnswer(response, .object(expect))
        }
    }

    @Test("POST /schema/apply of merge diffs, as 12.6, 12.3 and 11.17.4 decide", arguments: applyCases)
    func apply(name: String) async throws {
        let (testCase, base) = try ConformanceCases.v12Case("apply/\(name)")
        let target = try ConformanceCases.snapshot(testCase["target"], base: base)
        let body = try ConformanceCases.resolve(testCase["body"], base: base)
        let query = Self.queryString(testCase, keys: ["force"])
        let phases = try ConformanceCases.expectations(testCase).filter {
            [DirectusVersion(12, 6, 0), DirectusVersion(12, 3, 0), DirectusVersion(11, 17, 4)].contains($0.version)
        }
        #expect(phases.count == 3)
        for (version, expect) in phases {
            let instance = try Self.replaying(target, version: version)
            try await withEmulator(instance) { url in
                let response = try await Raw.postSnapshot(url + "/schema/apply" + query, body)
                #expect(
                    response.status == expect["status"]?.numberValue?.intValue,
                    "\(version): \(response.text.prefix(300))")
                if response.status == 400 {
                    let expected = expect["body"]?["errors"]?.arrayValue?.first
                    #expect(response.errorMessage == expected?["message"]?.stringValue, "\(version)")
                    #expect(response.errorCode == "INVALID_PAYLOAD")
                }
                let applied = await instance.applyCount()
                #expect(applied == (expect["decision"] == "apply" ? 1 : 0), "\(version)")
            }
        }
    }

    // MARK: Flags, over HTTP, for every phase

    /// A schema with one collection, `12.x`-labelled uploads and a way to see force and mode from the answers.
    static let base: Snapshot = {
        var snapshot = Snapshot(directus: "0.0.0", vendor: "postgres")
        snapshot.collections = [
            ["collection": "kept", "meta": ["collection": "kept", "icon": "box"], "schema": ["name": "kept"]],
            ["collection": "gone", "meta": ["collection": "gone"], "schema": ["name": "gone"]],
        ]
        return snapshot
    }()

    @Test("force and mode are read as each phase reads them", arguments: flagCases)
    func flags(name: String) async throws {
        let (testCase, _) = try ConformanceCases.v12Case("flags/\(name)")
        let endpoint = try #require(testCase["request"]?["endpoint"]?.stringValue)
        let query = Self.queryString(testCase, keys: ["force", "mode"])
        for (version, expect) in try ConformanceCases.expectations(testCase) {
            let instance = try EmulatedInstance(
                configuration: .withAdminToken(Raw.adminToken, version: version.description), snapshot: Self.base)
            try await withEmulator(instance) { url in
                if endpoint == "apply" {
                    // A stale hash: applied only when forced.
                    let current = await instance.schema()
                    var desired = current
                    desired.collections = [current.collections[0]]
                    let diff = SnapshotDiffer.diff(current: current, after: desired)
                    let body: JSONValue = ["hash": "stale", "diff": diff.json()]
                    let response = try await Raw.postJSON(url + "/schema/apply" + query, body)
                    let forced = expect["force"] == true
                    #expect(response.status == (forced ? 204 : 400), "\(version): \(response.text.prefix(200))")
                    return
                }
                // An upload without `gone`: in mirror mode a diff deleting it, in merge mode nothing (204).
                var upload = await instance.schema()
                upload.collections = [upload.collections[0]]
                if let forced = expect["force"]?.boolValue {
                    // Of another version: refused unless forced.
                    upload.root["directus"] = "9.99.0"
                    let response = try await Raw.postJSON(url + "/schema/diff" + query, upload.json)
                    #expect(response.status == (forced ? 200 : 400), "\(version): \(response.text.prefix(200))")
                } else if let mode = expect["mode"]?.stringValue {
                    let response = try await Raw.postJSON(url + "/schema/diff" + query, upload.json)
                    #expect(
                        response.status == (mode == "merge" ? 204 : 200), "\(version): \(response.text.prefix(200))")
                } else {
                    let response = try await Raw.postJSON(url + "/schema/diff" + query, upload.json)
                    #expect(response.status == 400, "\(version)")
                    #expect(response.errorCode == "INVALID_PAYLOAD")
                }
            }
        }
    }

    // MARK: Upload limits

    /// A JSON document of exactly `bytes` bytes: an empty object padded with spaces.
    static func padded(_ bytes: Int) -> [UInt8] {
        Array("{}".utf8) + [UInt8](repeating: 0x20, count: max(0, bytes - 2))
    }

    /// Cases up to 11 MB go over HTTP (the larger ones, 50 MB and up, are the same rule on the same code path:
    /// the emulator asks `UploadLimits`, which the schema suite checks for every case).
    static let uploadCasesOverHTTP = uploadCases.filter { name in
        ((try? ConformanceCases.v12Case("upload/\(name)").object["request"]?["bytes"]?.numberValue?.intValue) ?? 0)
            <= 11 << 20
    }

    @Test("upload sizes over HTTP, for every phase", arguments: uploadCasesOverHTTP)
    func upload(name: String) async throws {
        let (testCase, _) = try ConformanceCases.v12Case("upload/\(name)")
        let request = try #require(testCase["request"])
        let bytes = try #require(request["bytes"]?.numberValue?.intValue)
        var environment: [String: JSONValue] = [:]
        for (key, value) in request["env"]?.objectValue ?? JSONObject() { environment[key] = value }
        let limits = UploadLimits(environment: environment)
        let path = "/schema/" + (request["endpoint"]?.stringValue ?? "diff")
        for (version, expect) in try ConformanceCases.expectations(testCase) {
            var configuration = EmulatorConfiguration.withAdminToken(Raw.adminToken, version: version.description)
            configuration.maxPayloadSize = limits.maxPayloadSize
            configuration.importMaxFileSize = limits.importMaxFileSize
            let instance = try EmulatedInstance(configuration: configuration, snapshot: Self.base)
            try await withEmulator(instance) { url in
                let response =
                    request["transport"] == "json"
                    ? try await Raw.send(
                        .POST, url + path, headers: [("Content-Type", "application/json")], body: Self.padded(bytes))
                    : try await Raw.postFile(url + path, Self.padded(bytes))
                if expect["status"] == "read" {
                    // Read and handled as usual: an empty object is refused for what it lacks, not for its size.
                    let reason =
                        request["transport"] == "json"
                        ? "No data was included in the body"
                        : path == "/schema/diff"
                            ? "\"version\" is required"
                            : "\"hash\" is required"
                    #expect(response.status == 400, "\(version)")
                    #expect(response.errorMessage == "Invalid payload. \(reason).", "\(version)")
                } else {
                    #expect(response.status == expect["status"]?.numberValue?.intValue, "\(version)")
                    let expected = expect["body"]?["errors"]?.arrayValue?.first
                    #expect(response.errorMessage == expected?["message"]?.stringValue, "\(version)")
                    #expect(response.errorCode == expected?["extensions"]?["code"]?.stringValue, "\(version)")
                }
            }
        }
    }
}
