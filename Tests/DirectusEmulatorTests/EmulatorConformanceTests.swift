import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// The conformance cases, posted over real HTTP to a running emulator.
@Suite("Emulator conformance over HTTP", .serialized)
struct EmulatorConformanceTests {
    static let validateCases = Shared.names("validate")
    static let applyCases = Shared.names("apply")
    static let diffCases = Shared.names("diff")

    @Test("every case is present")
    func present() {
        #expect(Self.validateCases.count == 204)
        #expect(Self.applyCases.count == 471)
        #expect(Self.diffCases.count == 539)
    }

    @Test("POST /schema/diff: Directus's status, code and message", arguments: validateCases)
    func validate(name: String) async throws {
        let testCase = try Shared.json("validate/\(name)")
        let server = Snapshot(root: try #require(try Shared.json("validate/_server.json").objectValue))
        let upload = try Shared.snapshotValue(testCase["after"])
        let force = testCase["request"]?["force"]?.boolValue == true
        let expect = try #require(testCase["expect"])
        let instance = try EmulatedInstance(
            configuration: .withAdminToken(
                Raw.adminToken, version: try #require(server.directus), vendor: try #require(server.vendor)),
            snapshot: server)
        try await withEmulator(instance) { url in
            // The recorded answers are those of a file upload (an empty JSON body would hit the "No data" check).
            let response = try await Raw.postFile(
                url + "/schema/diff" + (force ? "?force=true" : ""), JSONWriter().bytes(upload))
            expectRecordedAnswer(response, expect)
        }
    }

    static func target(_ reference: JSONValue?) throws -> Snapshot {
        if let inline = reference?["inline"] { return Snapshot(root: inline.objectValue ?? JSONObject()) }
        let caseName = try #require(reference?["case"]?.stringValue)
        let side = try #require(reference?["side"]?.stringValue)
        return try Shared.snapshot(try Shared.json(caseName)[side])
    }

    @Test("POST /schema/apply: Directus's decision, status and message", arguments: applyCases)
    func apply(name: String) async throws {
        let testCase = try Shared.json("apply/\(name)")
        let target = try Self.target(testCase["target"])
        let bodyCase = try #require(testCase["body"]?["case"]?.stringValue)
        let body = try #require(try Shared.json(bodyCase)["expect"]?["body"]?["data"])
        let expect = try #require(testCase["expect"])
        let instance = try replayInstance(target)
        try await withEmulator(instance) { url in
            let response = try await Raw.postSnapshot(url + "/schema/apply", body)
            #expect(response.status == expect["status"]?.numberValue?.intValue, "\(response.text.prefix(300))")
            if response.status == 400 {
                let expected = expect["body"]?["errors"]?.arrayValue?.first
                #expect(response.errorMessage == expected?["message"]?.stringValue)
                #expect(response.errorCode == "INVALID_PAYLOAD")
            }
            let applied = await instance.applyCount()
            #expect(applied == (expect["decision"] == "apply" ? 1 : 0))
        }
    }

    @Test("POST /schema/diff?force: Directus's diff and hash", arguments: diffCases)
    func diff(name: String) async throws {
        let testCase = try Shared.json("diff/\(name)")
        let current = try Shared.snapshot(testCase["current"])
        let upload = try Shared.snapshotValue(testCase["after"])
        let expect = try #require(testCase["expect"])
        let instance = try replayInstance(current)
        try await withEmulator(instance) { url in
            let response = try await Raw.postSnapshot(url + "/schema/diff?force", upload)
            // The diff cases were computed with validation off; over HTTP Directus validates the upload's shape
            // first, even with force. Those uploads must get exactly the message recorded for the same file.
            if response.status == 400 {
                // A file upload, or a synthetic mutation of a corpus file ("mutations of NAME: …").
                var stem = testCase["after"]?["file"]?.stringValue.map { URL(fileURLWithPath: $0).lastPathComponent }
                if stem == nil, let description = testCase["description"]?.stringValue,
                    description.hasPrefix("mutations of "),
                    let colon = description.firstIndex(of: ":")
                {
                    stem =
                        String(description[description.index(description.startIndex, offsetBy: 13)..<colon]) + ".json"
                }
                let recorded = try Shared.json(
                    "validate/force-\(try #require(stem, "an upload was refused: \(response.errorMessage ?? "")"))")
                #expect(
                    response.errorMessage
                        == recorded["expect"]?["body"]?["errors"]?.arrayValue?.first?["message"]?.stringValue)
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
}
