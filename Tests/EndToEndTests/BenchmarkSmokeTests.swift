import Foundation
import TestSupport
import Testing

/// The benchmark executable, run small so that it cannot rot: every section runs and prints its table.
@Suite("benchmark smoke run")
struct BenchmarkSmokeTests {
    @Test("directus-promoter-bench all --smoke prints every figure with its reference")
    func smoke() async throws {
        let result = try await Binary.run(
            ["all", "--smoke"], environment: ["DIRECTUS_PROMOTER_SHARED": Shared.root.path],
            executable: Binary.productsDirectory.appendingPathComponent("directus-promoter-bench"))
        #expect(result.status == 0, "\(result.standardError)")
        let output = result.standardOutput
        #expect(output.hasPrefix("Machine: "))
        for heading in ["## Parse and hash", "## Diff", "## Unchanged poll cycle", "## Memory", "## History size"] {
            #expect(output.contains(heading), "\(heading) missing")
        }
        #expect(output.contains("Python 3 json + hashlib"))
        #expect(output.contains("git gc --aggressive"))
        #expect(output.contains("| generated"))
        #expect(!output.contains("unavailable"), "python3 and git are on this machine")
    }
}
