import DirectusSchema
import Foundation
import Testing

/// Every case of `../shared/conformance/diff/`: our diff and hash must equal Directus's answer exactly.
@Suite("Diff conformance")
struct DiffConformanceTests {
    static let caseNames = SharedFixtures.files(in: SharedFixtures.conformance.appendingPathComponent("diff"))

    @Test("the shared conformance cases are present")
    func casesArePresent() {
        #expect(Self.caseNames.count >= 539)
    }

    @Test("diff equals Directus's answer", arguments: caseNames)
    func diffMatches(name: String) throws {
        let testCase = try SharedFixtures.conformanceCase("diff/\(name)")
        let current = try SharedFixtures.snapshot(testCase["current"])
        let after = try SharedFixtures.snapshot(testCase["after"])
        let expect = try #require(testCase["expect"]?.objectValue)
        let status = try #require(expect["status"]?.numberValue?.intValue)

        let diff = SnapshotDiffer.diff(current: current, after: after)
        if status == 204 {
            #expect(diff.isEmpty, "expected no changes, got \(diff.json().jsonString.prefix(600))")
            return
        }
        #expect(status == 200)
        let expected = try #require(expect["body"]?["data"])
        let expectedDiff = try #require(expected["diff"])
        #expect(diff.json().comparableText == expectedDiff.comparableText)
        if let expectedHash = expected["hash"]?.stringValue {
            #expect(DirectusHash.versionedHash(of: current) == expectedHash)
        }
    }
}
