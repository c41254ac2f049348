import ArgumentParser
import AsyncHTTPClient
import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionCore
import PromotionDaemon
import PromotionDemo
import PromotionStore

/// `directus-promoter demo`: the whole product on loopback, narrated.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch a schema change travel from development to staging and production, on emulators.",
        usage: "directus-promoter demo [--interval <seconds>] [--keep] [options]",
        discussion: """
            Starts three Directus emulators on loopback (development, staging, production), a daemon with a \
            temporary state directory and a fast poll, makes a schema change on development, and narrates what \
            happens: detected, applied to staging and verified, waiting for approval on production, approved, \
            applied. The real `status` output is shown between steps. Nothing outside a temporary directory is \
            touched; exit status 0 means all three schemas ended equal.
            """)

    @Option(help: "Seconds between polls.")
    var interval = 0.5

    @Flag(help: "Show the daemon's log lines too.")
    var verbose = false

    @Flag(help: "Keep the temporary state directory (its path is printed).")
    var keep = false

    @Option(help: "Colour: auto (on a terminal), always, never.")
    var color: ColorChoice = .auto

    func run() async throws {
        let verbose = self.verbose
        LoggingSystem.bootstrap { label in
            DaemonLogHandler(label: label, level: verbose ? .info : .error, style: .plain)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "directus-promoter-demo-\(UUID().uuidString.prefix(8))"
        ).path
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        do {
            try await Demo.run(
                interval: interval, directory: directory, keep: keep, actor: DecisionDesk.localUser(),
                style: TextStyle(color: color.enabled(forStandardOutput: true)))
        } catch let failure as Demo.Failure {
            throw CommandError(failure.description)
        }
    }
}
