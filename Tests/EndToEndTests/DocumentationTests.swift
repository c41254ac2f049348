import Foundation
import PromotionDaemon
import Testing

/// The help, the man page and docs/configuration.md tell the same story as the program.
@Suite("help and manual")
struct DocumentationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let commands = [
        [], ["run"], ["poll"], ["status"], ["history"], ["show"], ["approve"], ["reject"], ["retry"], ["cancel"],
        ["replan"], ["rollback"], ["plan"], ["snapshots"], ["snapshot", "export"], ["drift", "list"],
        ["drift", "accept"], ["check-config"], ["diff"], ["emulator"], ["manual"], ["demo"],
    ]

    @Test("every command's help fits in 80 columns", arguments: commands)
    func helpWidth(command: [String]) async throws {
        let help = try await Binary.run(command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(help.status == 0)
        let long = help.standardOutput.split(separator: "\n").filter { $0.count > 80 }
        #expect(long.isEmpty, "\(long.joined(separator: "\n"))")
    }

    @Test("the man page lists every configuration key and every exit status; the docs describe every key")
    func manualAndDocs() async throws {
        let manual = try await Binary.run(["manual"])
        #expect(manual.status == 0)
        for key in ConfigurationKeys.all {
            #expect(manual.standardOutput.contains("\\fB\(key.path)\\fR"), "\(key.path) in the man page")
        }
        for status in ["65", "73", "74", "75", "78"] {
            #expect(manual.standardOutput.contains(".TP\n\(status)\n"), "exit status \(status)")
        }
        #expect(!manual.standardOutput.contains("docs/ of the source tree"), "points at what is installed")
        let docs = try String(
            contentsOf: Self.repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for key in ConfigurationKeys.all {
            let name = key.path.components(separatedBy: "[].").last ?? key.path
            #expect(docs.contains("`\(name)`") || docs.contains("\(name)`"), "\(key.path) in docs/configuration.md")
        }
    }
}
