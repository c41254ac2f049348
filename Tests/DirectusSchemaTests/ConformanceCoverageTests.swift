import Foundation
import Testing

/// Nothing under `../shared/conformance` is skipped in silence: every file is a case one of the conformance suites
/// runs, an input those cases name, or listed here as unsupported, with a reason, which fails the suite.
@Suite("Conformance coverage")
struct ConformanceCoverageTests {
    /// Case files no suite can run yet, with why. Every entry is a failure until it is supported.
    static let unsupported: [String: String] = [:]

    /// What claims the files of each folder (paths relative to `conformance/`).
    static func claim(_ path: String) -> String? {
        let parts = path.split(separator: "/").map(String.init)
        let name = parts.last ?? ""
        if name == "README.md" { return "documentation" }
        switch parts.dropLast().joined(separator: "/") {
        case "diff": return DiffConformanceTests.caseNames.contains(name) ? "DiffConformanceTests" : nil
        case "validate":
            if name == "_server.json" { return "the 11.x validate cases' server" }
            return ValidationConformanceTests.validateCases.contains(name) ? "ValidationConformanceTests" : nil
        case "apply":
            return ValidationConformanceTests.applyCases.contains(name)
                ? "ValidationConformanceTests and V12ConformanceTests.elevenUnderTwelve" : nil
        case "snapshots": return name.hasSuffix(".json") ? "inputs named by the cases" : nil
        case "v12":
            return name == "COMPARE-11x.json" ? "V12ConformanceTests.elevenUnderTwelve" : nil
        case "v12/diff": return V12ConformanceTests.diffCases.contains(name) ? "V12ConformanceTests.diff" : nil
        case "v12/partial":
            return V12ConformanceTests.partialCases.contains(name) ? "V12ConformanceTests.partial" : nil
        case "v12/validate":
            if name.hasPrefix("_server") && name.hasSuffix(".json") { return "the v12 validate cases' servers" }
            return V12ConformanceTests.validateCases.contains(name) ? "V12ConformanceTests.validate" : nil
        case "v12/apply": return V12ConformanceTests.applyCases.contains(name) ? "V12ConformanceTests.apply" : nil
        case "v12/flags": return V12ConformanceTests.flagCases.contains(name) ? "V12ConformanceTests.flags" : nil
        case "v12/upload": return V12ConformanceTests.uploadCases.contains(name) ? "V12ConformanceTests.upload" : nil
        default: return nil
        }
    }

    static func allFiles() -> [String] {
        let root = SharedFixtures.conformance.standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var files: [String] = []
        for case let url as URL in walker
        where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            files.append(String(url.standardizedFileURL.path.dropFirst(root.path.count + 1)))
        }
        return files.sorted()
    }

    @Test("every file under conformance/ is run, named as an input, or listed unsupported")
    func everyFileIsClaimed() {
        let files = Self.allFiles()
        #expect(files.count > 3_000, "the shared conformance set is present")
        let unclaimed = files.filter { Self.claim($0) == nil && Self.unsupported[$0] == nil }
        #expect(unclaimed.isEmpty, "no suite runs: \(unclaimed.prefix(20).joined(separator: ", "))")
    }

    @Test("no case is unsupported")
    func nothingUnsupported() {
        for (path, reason) in Self.unsupported.sorted(by: { $0.key < $1.key }) {
            Issue.record("unsupported conformance case \(path): \(reason)")
        }
    }
}
