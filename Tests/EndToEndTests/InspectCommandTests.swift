import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// The read-only and one-shot commands as real processes: poll, plan, snapshots, snapshot export, check-config,
/// cancel, and the demo.
@Suite("inspection commands", .serialized)
struct InspectCommandTests {
    @Test("poll, plan, snapshots, snapshot export, check-config and cancel, in both output formats")
    func commands() async throws {
        try await withDaemonHarness { h in
            // One tick without a daemon: staging is updated, production waits (exit 3).
            let poll = try await h.cli(["poll"])
            #expect(poll.status == 3, "\(poll.standardError)")
            #expect(poll.standardOutput.contains("new revision r1"))
            #expect(h.latest("staging")?.state == .applied)

            let pollJSON = try await h.cli(["poll", "--json"])
            #expect(pollJSON.status == 3)
            let polled = try JSONParser.parse(Array(pollJSON.standardOutput.utf8))
            #expect(polled["new_revision"] == .null, "nothing new on the second poll")
            #expect(polled["status"]?["needs_attention"] == true)

            let plan = try await h.cli(["plan", "production"])
            #expect(plan.status == 2, "\(plan.standardError)")
            #expect(plan.standardOutput.contains("+ field articles.summary"))
            let planJSON = try await h.cli(["plan", "production", "--json"])
            #expect(planJSON.status == 2)
            let parsed = try JSONParser.parse(Array(planJSON.standardOutput.utf8))
            #expect(parsed["in_sync"] == false)
            #expect(parsed["plan"]?["summary"]?["create"] == 1)
            let inSync = try await h.cli(["plan", "staging"])
            #expect(inSync.status == 0)
            #expect(inSync.standardOutput.contains("nothing to apply"))
            let source = try await h.cli(["plan", "development"])
            #expect(source.status == 1)
            #expect(source.standardError.contains("development is the source"))
            let events = try h.store().eventCount()
            _ = try await h.cli(["plan", "production"])
            #expect(try h.store().eventCount() == events, "plan records nothing")

            let snapshots = try await h.cli(["snapshots"])
            #expect(snapshots.status == 0)
            for name in ["development", "staging", "production"] { #expect(snapshots.standardOutput.contains(name)) }
            let snapshotsJSON = try JSONParser.parse(
                Array(try await h.cli(["snapshots", "--json", "--env", "staging"]).standardOutput.utf8))
            let rows = snapshotsJSON.arrayValue ?? []
            #expect(rows.count == 2, "staging before and after the apply")
            #expect(rows.allSatisfy { $0["environment"] == "staging" })

            let exported = try await h.cli(["snapshot", "export", "r1", "--format", "json"])
            #expect(exported.status == 0, "\(exported.standardError)")
            let snapshot = Snapshot(root: try JSONParser.parse(Array(exported.standardOutput.utf8)).objectValue!)
            #expect(snapshot.contentHash == (await h.dev.schema()).contentHash)
            let prefix = String(snapshot.contentHash.prefix(8))
            let yaml = try await h.cli(["snapshot", "export", prefix])
            #expect(
                Snapshot(root: try YAMLReader.read(yaml.standardOutput).objectValue!).contentHash
                    == snapshot.contentHash)
            let missing = try await h.cli(["snapshot", "export", "ffffffff"])
            #expect(missing.status == 1)

            let check = try await h.cli(["check-config"])
            #expect(check.status == 0)
            #expect(check.standardOutput.contains("ok: development → staging → production"))
            let online = try await h.cli(["check-config", "--online"])
            #expect(online.status == 0, "\(online.standardOutput)")
            #expect(online.standardOutput.components(separatedBy: "✓").count == 4)
            await h.production.upgrade(to: "11.17.5")
            let sameFormat = try await h.cli(["check-config", "--online"])
            #expect(sameFormat.status == 0, "releases of one snapshot format: \(sameFormat.standardOutput)")
            await h.production.upgrade(to: "12.1.0")
            let mismatch = try await h.cli(["check-config", "--online"])
            #expect(mismatch.status == 1)
            #expect(mismatch.standardOutput.contains("11.17.4") && mismatch.standardOutput.contains("12.1.0"))
            #expect(mismatch.standardOutput.contains("set force: true on production"))
            await h.production.upgrade(to: DemoSchema.version)

            let id = try #require(h.latest("production")?.id)
            let cancel = try await h.cli(["cancel", "\(id)", "--comment", "not this week"])
            #expect(cancel.status == 0, "\(cancel.standardError)")
            #expect(cancel.standardOutput.contains("no daemon is running"))
            _ = try await h.cli(["poll"])
            #expect(h.latest("production")?.state == .cancelled)
            let retry = try await h.cli(["retry", "\(id)"])
            #expect(retry.status == 1)
            #expect(retry.standardError.contains("only a promotion that is failed or blocked can be retried"))
            let history = try await h.cli(["history", "--since", "1h", "--env", "production"])
            #expect(history.standardOutput.contains("cancelled"))
        }
    }

    @Test("drift made directly on production shows in status and drift list, and drift accept adopts it")
    func driftThroughTheCLI() async throws {
        try await withDaemonHarness(dev: DemoSchema.initial) { h in
            #expect(try await h.cli(["poll"]).status == 0)
            let added = await h.production.makeDrift()
            let poll = try await h.cli(["poll"])
            #expect(poll.status == 3)
            let status = try await h.cli(["status"])
            #expect(status.status == 3)
            #expect(status.standardOutput.contains("drifted (1 change made outside the pipeline: + field \(added))"))
            #expect(status.standardOutput.contains("directus-promoter drift accept production"))
            let json = try JSONParser.parse(Array(try await h.cli(["status", "--json"]).standardOutput.utf8))
            let production = json["environments"]?.arrayValue?.first { $0["name"] == "production" }
            #expect(production?["condition"] == "drifted")
            let list = try await h.cli(["drift", "list"])
            #expect(list.status == 3)
            #expect(list.standardOutput.contains("production"))
            let show = try await h.cli(["drift", "show", "production"])
            #expect(show.status == 3)
            #expect(show.standardOutput.contains("+ field \(added)"), "\(show.standardOutput)")
            let shown = try JSONParser.parse(
                Array(try await h.cli(["drift", "show", "production", "--json"]).standardOutput.utf8))
            #expect(shown["plan"]?["summary"]?["create"] == 1)
            #expect(try await h.cli(["drift", "show", "staging"]).standardOutput.contains("no drift"))
            let none = try await h.cli(["drift", "accept", "staging"])
            #expect(none.status == 1)
            #expect(none.standardError.contains("staging has no drift to accept"))
            let accept = try await h.cli(["drift", "accept", "production", "--comment", "hotfix, keep it"])
            #expect(accept.status == 0, "\(accept.standardError)")
            #expect(try await h.cli(["poll"]).status == 0)
            #expect(try await h.cli(["drift"]).standardOutput.contains("no drift"))
            #expect(try await h.cli(["status"]).status == 0)
        }
    }

    @Test("rollback through the CLI: planned, approved with --allow-destructive, applied, shown in status")
    func rollbackThroughTheCLI() async throws {
        try await withDaemonHarness { h in
            #expect(try await h.cli(["poll"]).status == 3)
            let id = try #require(h.latest("production")?.id)
            #expect(try await h.cli(["approve", "\(id)"]).status == 0)
            #expect(try await h.cli(["poll"]).status == 0)
            let nothing = try await h.cli(["rollback", "development"])
            #expect(nothing.status == 1)
            #expect(nothing.standardError.contains("only targets can be rolled back"))

            let rollback = try await h.cli(["rollback", "production", "--comment", "summary field broke the app"])
            #expect(rollback.status == 0, "\(rollback.standardError)")
            #expect(rollback.standardOutput.contains("It restores the schema, not data"))
            let rollbackID = try #require(
                try h.store().promotions(inStates: [.queued]).first { $0.target == "production" }?.id)
            #expect(try await h.cli(["poll"]).status == 3, "waits for approval")
            // Without the flag the approval would change nothing: refused, nothing recorded, the command that works.
            let plain = try await h.cli(["approve", "\(rollbackID)"])
            #expect(plain.status == 1)
            #expect(plain.standardError.contains("directus-promoter approve \(rollbackID) --allow-destructive"))
            #expect(try h.store().decisions(promotionID: rollbackID).isEmpty)
            _ = try await h.cli(["poll"])
            #expect(
                try h.store().promotion(id: rollbackID)?.state == .awaitingApproval, "destructive: needs the flag")
            #expect(try await h.cli(["approve", "\(rollbackID)", "--allow-destructive"]).status == 0)
            _ = try await h.cli(["poll"])
            #expect(try h.store().promotion(id: rollbackID)?.state == .applied)
            let fields = await h.production.schema().fields.compactMap { $0["field"]?.stringValue }
            #expect(!fields.contains("summary"))
            let status = try await h.cli(["status"])
            #expect(status.standardOutput.contains("rolled back (promotion \(rollbackID)"))
        }
    }

    @Test("the demo runs end to end and finishes with all three schemas equal")
    func demo() async throws {
        let result = try await Binary.run(["demo", "--color", "never"])
        #expect(result.status == 0, "\(result.standardError)")
        for step in [
            "Three Directus", "First poll", "A developer adds a field", "applied to staging automatically",
            "Production waits for a person", "awaiting approval", "Approved, applied to production",
            "All three schemas are equal",
        ] {
            #expect(result.standardOutput.contains(step), "the demo narrates: \(step)")
        }
    }

    @Test("shell completions and help come from the command definitions")
    func completionsAndHelp() async throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try await Binary.run(["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.standardOutput.contains("approve"))
        }
        let help = try await Binary.run(["help", "run"])
        #expect(help.standardOutput.contains("SIGHUP"))
        let manual = try await Binary.run(["manual"])
        #expect(manual.standardOutput.hasPrefix(".TH DIRECTUS-PROMOTER 1"))
        for command in ["run", "status", "approve", "plan", "check-config"] {
            #expect(manual.standardOutput.contains(".SS \(command)\n"))
        }
        // When groff is installed, the page renders without warnings.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") {
            let page = FileManager.default.temporaryDirectory.appendingPathComponent("directus-promoter-\(UUID()).1")
            try manual.standardOutput.write(to: page, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: page) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/groff")
            process.arguments = ["-man", "-Tutf8", "-ww", "-z", page.path]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let warnings = try await offThePool {
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                return text
            }
            #expect(process.terminationStatus == 0)
            #expect(warnings.isEmpty, "\(warnings)")
        }
    }
}
