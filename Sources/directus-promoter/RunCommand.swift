import ArgumentParser
import AsyncHTTPClient
import DirectusClient
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import PromotionStore
import ServiceLifecycle

/// `directus-promoter run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: poll, detect, promote, until stopped.",
        discussion: """
            Polls the source on the configured schedule, records each new schema as a revision, and carries it to \
            each target in turn through the promotion state machine. SIGTERM or SIGINT stops it after the step in \
            progress (an apply already sent is waited for); SIGHUP reloads the configuration (a bad one is refused \
            and the running one kept); SIGUSR1 runs a tick now (approve and the other decision commands send it). \
            Under systemd (Type=notify) it reports READY=1, a STATUS= line after each tick, and WATCHDOG=1 when \
            WatchdogSec= is set. One daemon per state directory: a second one exits with status 75.
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let (configuration, lock, store, httpClient) = try options.startDaemonSession(logFormat: logging.logFormat)
        let logger = Logger(label: "directus-promoter")
        logger.notice(
            "starting",
            metadata: [
                "config": "\(options.path)", "state_directory": "\(configuration.stateDirectory)",
                "pipeline": "\(configuration.environments.map(\.name).joined(separator: " → "))",
                "poll_interval": "\(configuration.pollInterval)",
            ])
        defer { withExtendedLifetime(lock) {} }
        let daemon = try options.build(configuration: configuration, store: store, http: httpClient, logger: logger)
        do {
            try await daemon.group.run()
        } catch {
            logger.error("stopped on an error: \(error)")
            try? await httpClient.shutdown()
            throw ExitStatus.failure
        }
        try? await httpClient.shutdown()
    }
}

/// `directus-promoter poll`: one tick in the foreground.
struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Run one tick in the foreground and exit (for cron, and for debugging).",
        usage: "directus-promoter poll [--json] [--log-format text|json] [options]",
        discussion: """
            Does what one tick of the daemon does: polls the source, records a new revision, takes the decisions \
            people recorded, and carries every promotion as far as it can go. Takes the state directory's lock, so \
            it refuses to run beside a running daemon (exit status 75). Exit status: 0 all in sync, 3 something \
            needs attention, 1 error.
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let (configuration, lock, store, httpClient) = try options.startDaemonSession(logFormat: logging.logFormat)
        defer { withExtendedLifetime(lock) {} }
        // The daemon's own services for one tick: the loop stops after it, and webhook delivery sends what the
        // tick queued before the group ends.
        let daemon = try options.build(
            configuration: configuration, store: store, http: httpClient, logger: Logger(label: "directus-promoter"),
            options: DaemonApp.Options(maxTicks: 1, trapsSignals: false))
        do {
            try await daemon.group.run()
        } catch {
            try? await httpClient.shutdown()
            throw CommandError("\(error)")
        }
        try? await httpClient.shutdown()
        guard let report = daemon.loop.lastReport else { throw CommandError("the tick did not run") }
        let summary = PollSummary(report: report, status: try StatusReport(store: store, configuration: configuration))
        if output.json {
            output.emit(summary.json)
        } else {
            print(summary.text(now: Date(), color: output.colored), terminator: "")
        }
        if summary.needsAttention { throw ExitStatus.attention }
    }
}
