import DirectusSchema
import Foundation
import TestSupport
import Testing

/// `directus-promoter diff` as a user runs it: the built binary on real corpus files.
@Suite("diff command")
struct DiffCommandTests {
    /// Real before/after pairs of the conformance set whose originals (YAML or JSON) are in the corpus.
    static let realCases: [String] = {
        let names =
            (try? FileManager.default.contentsOfDirectory(
                atPath: Shared.conformance.appendingPathComponent("diff").path)) ?? []
        return names.filter { $0.hasPrefix("real-") }.sorted().enumerated().filter { $0.offset % 6 == 0 }.map(\.element)
    }()

    /// The corpus file that a conformance snapshot was converted from.
    static func corpusFile(forConverted relativePath: String) throws -> String {
        let stem = URL(fileURLWithPath: relativePath).deletingPathExtension().lastPathComponent
        let files = try FileManager.default.contentsOfDirectory(atPath: Shared.corpus.path)
        guard
            let file = files.first(where: { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent == stem }
            )
        else { throw CocoaError(.fileNoSuchFile) }
        return Shared.corpus.appendingPathComponent(file).path
    }

    @Test("--format directus prints Directus's own answer", arguments: realCases)
    func directusFormatMatchesConformance(name: String) async throws {
        let data = try Data(contentsOf: Shared.conformance.appendingPathComponent("diff/\(name)"))
        let testCase = try #require(try JSONParser.parse(Array(data)).objectValue)
        let current = try Self.corpusFile(forConverted: try #require(testCase["current"]?["file"]?.stringValue))
        let after = try Self.corpusFile(forConverted: try #require(testCase["after"]?["file"]?.stringValue))
        let result = try await Binary.run(["diff", current, after, "--format", "directus"])
        let expectedStatus = testCase["expect"]?["status"]?.numberValue?.intValue
        if expectedStatus == 204 {
            #expect(result.status == 0)
            return
        }
        #expect(result.status == 2, "stderr: \(result.standardError)")
        let printed = try JSONParser.parse(result.standardOutput)
        let expected = try #require(testCase["expect"]?["body"]?["data"]?["diff"])
        #expect(
            JSONWriter(numberStyle: .javaScript).string(printed)
                == JSONWriter(numberStyle: .javaScript).string(expected))
    }

    @Test("--mode merge prints Directus 12's merge diff", arguments: realCases.prefix(6))
    func mergeMode(name: String) async throws {
        let data = try Data(contentsOf: Shared.conformance.appendingPathComponent("diff/\(name)"))
        let testCase = try #require(try JSONParser.parse(Array(data)).objectValue)
        let current = try Self.corpusFile(forConverted: try #require(testCase["current"]?["file"]?.stringValue))
        let after = try Self.corpusFile(forConverted: try #require(testCase["after"]?["file"]?.stringValue))
        let merge = try JSONParser.parse(
            Array(
                try Data(
                    contentsOf: Shared.conformance.appendingPathComponent(
                        "v12/diff/\(name.replacingOccurrences(of: ".json", with: "-merge.json"))"))))
        let result = try await Binary.run(["diff", current, after, "--mode", "merge", "--format", "directus"])
        guard let expected = merge["expect"]?["body"]?["data"]?["diff"] else {
            #expect(result.status == 0, "merge has nothing to do")
            return
        }
        #expect(result.status == 2, "stderr: \(result.standardError)")
        #expect(
            JSONWriter(numberStyle: .javaScript).string(try JSONParser.parse(result.standardOutput))
                == JSONWriter(numberStyle: .javaScript).string(expected))
    }

    @Test("a readable plan of a real pair, exit status 2")
    func readablePlan() async throws {
        let result = try await Binary.run([
            "diff", Shared.corpus.appendingPathComponent("Dsek-LTH__web__cms__snapshot__bea357a0.yaml").path,
            Shared.corpus.appendingPathComponent("Dsek-LTH__web__cms__snapshot__8de97607.yaml").path,
        ])
        #expect(result.status == 2)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "Plan: 39 to create, 4 to update, 3 to delete (4 destructive).")
        #expect(lines.contains("+ collection pepp"))
        #expect(lines.contains("- field landing.title (destructive)"))
        #expect(lines.contains("~ collection landing_translations: meta.sort null -> 2"))
        #expect(lines.contains("    max_length 255 -> null"))
        #expect(!result.standardOutput.contains("\u{1B}["), "no colour when not a terminal")
    }

    @Test("two configuration exports: the configuration plan, with the ambiguous record held, exit status 2")
    func configurationExports() async throws {
        let project = Shared.root.appendingPathComponent(
            "corpus-config/Blaxzter__gb-dashboard__directus-config__collections")
        let result = try await Binary.run([
            "diff", project.appendingPathComponent("4c0fddd5").path, project.appendingPathComponent("29c5e434").path,
        ])
        #expect(result.status == 2)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("  + role:Dashboard"))
        #expect(lines.contains("  + access:role:Dashboard→policy:DashboardUserPolicy"))
        #expect(lines.contains("  held until a person says which record is which:"))
        #expect(
            result.standardOutput.contains("Blocked: configuration records match more than once: role:Administrator"))
        let json = try await Binary.run([
            "diff", project.appendingPathComponent("4c0fddd5").path, project.appendingPathComponent("29c5e434").path,
            "--format", "json",
        ])
        let plan = try JSONParser.parse(json.standardOutput)
        #expect(plan["summary"]?["creates"] == 3)
        let same = try await Binary.run([
            "diff", project.appendingPathComponent("4c0fddd5").path, project.appendingPathComponent("4c0fddd5").path,
        ])
        #expect(same.status == 0)
        #expect(same.standardOutput == "  no configuration changes\n")
    }

    @Test("identical snapshots: no changes, exit status 0")
    func noChanges() async throws {
        let file = Shared.corpus.appendingPathComponent("Dsek-LTH__web__cms__snapshot__bea357a0.yaml").path
        let result = try await Binary.run(["diff", file, file])
        #expect(result.status == 0)
        #expect(result.standardOutput == "No changes. The target schema matches.\n")
    }

    @Test("--format json is a machine-readable plan")
    func jsonPlan() async throws {
        let result = try await Binary.run([
            "diff", Shared.corpus.appendingPathComponent("ActxLeToucan__R307__directus__snapshot__8c2bd076.yaml").path,
            Shared.corpus.appendingPathComponent("ActxLeToucan__R307__directus__snapshot__7f6d56f7.yaml").path,
            "--format", "json",
        ])
        #expect(result.status == 2)
        let plan = try JSONParser.parse(result.standardOutput)
        #expect(plan["summary"]?["create"] == 1)
        #expect(plan["changes"]?.arrayValue?.first?["field"] == "type")
        #expect(plan["changes"]?.arrayValue?.first?["action"] == "create")
    }

    @Test("errors name the file and exit with status 1")
    func errors() async throws {
        let missing = try await Binary.run(["diff", "/nonexistent/a.yaml", "/nonexistent/b.yaml"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("/nonexistent/a.yaml: no such file"))

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).json")
        try Data("{\n  \"version\": 1,\n  \"directus\": \"11.17.4\",\n  \"collections\": [,]\n}".utf8).write(to: broken)
        defer { try? FileManager.default.removeItem(at: broken) }
        let syntax = try await Binary.run(["diff", broken.path, broken.path])
        #expect(syntax.status == 1)
        #expect(syntax.standardError.contains("\(broken.path):4:19: invalid JSON"), "\(syntax.standardError)")

        let headerless = try await Binary.run([
            "diff", Shared.corpus.appendingPathComponent("Bitfy-AI__docs-jana__directus__schema.json").path,
            Shared.corpus.appendingPathComponent("Bitfy-AI__docs-jana__directus__schema.json").path,
        ])
        #expect(headerless.status == 1)
        #expect(headerless.standardError.contains("no \"version\"/\"directus\" header"))
    }
}
