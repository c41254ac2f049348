import DirectusSchema
import Foundation
import Testing

@Test(.enabled(if: ProcessInfo.processInfo.environment["DUMP_CASE"] != nil))
func dumpCase() throws {
    let name = ProcessInfo.processInfo.environment["DUMP_CASE"]!
    let testCase = try SharedFixtures.conformanceCase("diff/\(name)")
    let current = try SharedFixtures.snapshot(testCase["current"])
    let after = try SharedFixtures.snapshot(testCase["after"])
    let diff = SnapshotDiffer.diff(current: current, after: after)
    try diff.json().comparableText.write(toFile: "/tmp/ours.json", atomically: true, encoding: .utf8)
    try (testCase["expect"]?["body"]?["data"]?["diff"] ?? .null).comparableText.write(toFile: "/tmp/theirs.json", atomically: true, encoding: .utf8)
}
