import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an operator meets past the demo: an emulator whose schema follows its file, a rejected revision planned
/// again, `status` saying whether a daemon runs, and the demo's closing hint working as printed.
@Suite("operator experience", .serialized)
struct OperatorTests {
    @Test("saving an emulator's snapshot file is a schema change on it: the daemon promotes it")
    func editedSnapshotFileIsPromoted() async throws {
        try await withScratchDirectory { directory in
            let file = directory + "/dev.json"
            try JSONWriter(layout: .indented("  ")).string(DemoSchema.initial.json)
                .write(toFile: file, atomically: true, encoding: .utf8)
            let (devProcess, devURL) = try EmulatorCommandTests.start([
                "--snapshot", file, "--admin-token", daemonToken, "--directus-version", DemoSchema.version,
                "--rows", "articles=1200",
            ])
            defer { if devProcess.isRunning { devProcess.terminate() } }
            let (_, counted) = try await EmulatorCommandTests.get(
                devURL + "/items/articles?aggregate%5Bcount%5D=*", token: daemonToken)
            #expect(counted?["data"]?.arrayValue?.first?["count"]?.numberValue?.intValue == 1200, "--rows")

            let configuration = EmulatorConfiguration.withAdminToken(daemonToken, version: DemoSchema.version)
            let staging = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
            let production = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
            try await withEmulator(staging) { stagingURL in
                try await withEmulator(production) { productionURL in
                    let harness = DaemonHarness(
                        dev: try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial),
                        staging: staging, production: production,
                        urls: ["development": devURL, "staging": stagingURL, "production": productionURL],
                        directory: directory)
                    try harness.writeConfig()
                    let daemon = try harness.startDaemon()
                    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
                    #expect(try await eventually { harness.latest("production")?.state == .applied })

                    // The developer's edit: a field added in the file, saved.
                    try JSONWriter(layout: .indented("  ")).string(DemoSchema.withSummary.json)
                        .write(toFile: file, atomically: true, encoding: .utf8)
                    #expect(
                        try await eventually(20) {
                            (try? harness.store().latestRevision())?.id == 2
                                && harness.latest("staging")?.state == .applied
                        }, "\(harness.log.suffix(1500))")
                    #expect(try await eventually { harness.latest("production")?.state == .awaitingApproval })
                    let fields = (await staging.schema()).fields.compactMap { $0["field"]?.stringValue }
                    #expect(fields.contains("summary"))
                    #expect(try await stop(daemon) == 0)
                }
            }
        }
    }

    @Test("a rejected revision can be planned again; replan refuses what it cannot do")
    func replanRejected() async throws {
        try await withDaemonHarness { h in
            #expect(try await h.cli(["poll"]).status == 3)
            let first = try #require(h.latest("production"))
            #expect(first.state == .awaitingApproval)
            #expect(try await h.cli(["reject", "\(first.id)", "--comment", "not today"]).status == 0)
            _ = try await h.cli(["poll"])
            #expect(try h.store().promotion(id: first.id)?.state == .rejected)

            let wrong = try await h.cli(["replan", "\(try #require(h.latest("staging")).id)"])
            #expect(wrong.status == 1)
            #expect(wrong.standardError.contains("only a rejected or cancelled promotion can be planned again"))

            let replan = try await h.cli(["replan", "\(first.id)", "--comment", "today after all"])
            #expect(replan.status == 0, "\(replan.standardError)")
            #expect(replan.standardOutput.contains("planned again as r2"))
            #expect(try await h.cli(["poll"]).status == 3)
            let again = try #require(h.latest("production"))
            #expect(again.id != first.id && again.revisionID == 2)
            #expect(again.state == .awaitingApproval)
            #expect(h.latest("staging")?.state == .applied, "staging already had it: in sync at once")
            let events = try h.store().recentEvents(limit: 50, kind: "revision.replanned").map(\.message)
            #expect(events.contains { $0.contains("today after all") })
        }
    }

    @Test("status says whether a daemon runs, and its next steps say what works then")
    func statusKnowsTheDaemon() async throws {
        try await withDaemonHarness { h in
            #expect(try await h.cli(["poll"]).status == 3)
            let idle = try await h.cli(["status"])
            #expect(idle.standardOutput.hasPrefix("Daemon: not running"), "\(idle.standardOutput)")
            #expect(idle.standardOutput.contains("no daemon is running: a decision is acted on when it starts"))
            #expect(idle.standardOutput.contains("then directus-promoter approve"))
            let idleJSON = try JSONParser.parse(Array(try await h.cli(["status", "--json"]).standardOutput.utf8))
            #expect(idleJSON["daemon"]?["running"] == false)

            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(
                try await eventually {
                    try await h.cli(["status"]).standardOutput.hasPrefix(
                        "Daemon: running (pid \(daemon.processIdentifier)) since")
                })
            let running = try JSONParser.parse(Array(try await h.cli(["status", "--json"]).standardOutput.utf8))
            #expect(running["daemon"]?["pid"]?.numberValue?.intValue == Int(daemon.processIdentifier))
            #expect(!(try await h.cli(["status"]).standardOutput.contains("no daemon is running")))
            #expect(try await stop(daemon) == 0)
        }
    }

    @Test("demo --keep leaves a configuration, and the command it prints at the end works")
    func demoKeep() async throws {
        let demo = try await Binary.run(["demo", "--keep", "--interval", "0.2", "--color", "never"])
        #expect(demo.status == 0, "\(demo.standardError)")
        let text = demo.standardOutput
        guard let start = text.range(of: "`directus-promoter show "),
            let end = text.range(of: "`", range: start.upperBound..<text.endIndex)
        else {
            Issue.record("no closing hint in: \(text.suffix(600))")
            return
        }
        let command = text[start.upperBound..<end.lowerBound].split(separator: " ").map(String.init)
        let configIndex = try #require(command.firstIndex(of: "--config"))
        let directory = (command[configIndex + 1] as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let show = try await Binary.run(["show"] + command)
        #expect(show.status == 0, "\(show.standardError)")
        #expect(show.standardOutput.contains("Promotion \(command[0])"))
        #expect(show.standardOutput.contains("applied"))
        #expect(text.contains("The state directory is kept: \(directory)"))
    }
}
