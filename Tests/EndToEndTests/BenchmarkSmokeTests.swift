import Foundation
import TestSupport
import Testing

/// The benchmark executable, run small so that it cannot rot: every section runs and prints its table.
@Suite("benchmark smoke run")
struct BenchmarkSmokeTests {
    @Test("directus-promoter-bench all --smoke prints every figure with its reference")
    func smoke() async throws {
        let bench = Binary.productsDirectory.appendingPathComponent("directus-promoter-bench")
        let result = try await offThePool { () throws -> (Int32, String, String) in
            let process = Process()
            process.executableURL = bench
            process.arguments = ["all", "--smoke"]
            var environment = ProcessInfo.processInfo.environment
            environment["DIRECTUS_PROMOTER_SHARED"] = Shared.root.path
            process.environment = environment
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text, errorText)
        }
        #expect(result.0 == 0, "\(result.2)")
        let output = result.1
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
