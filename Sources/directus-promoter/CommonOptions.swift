import ArgumentParser
import AsyncHTTPClient
import DirectusClient
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import PromotionStore
import Redaction

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--config`: the configuration file every daemon command reads.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: [.short, .long],
        help: ArgumentHelp(
            "The configuration file.", discussion: "Default: $DIRECTUS_PROMOTER_CONFIG, else \(Self.defaultPath).",
            valueName: "path"))
    var config: String?

    static let defaultPath = "/etc/directus-promoter/config.yaml"

    var path: String {
        config ?? ProcessInfo.processInfo.environment["DIRECTUS_PROMOTER_CONFIG"] ?? Self.defaultPath
    }

    /// Reads and validates the configuration; warnings go to stderr. On problems, prints every one (file:line:column)
    /// and exits with EX_CONFIG (78), which systemd reports as a configuration error.
    func load() throws -> DaemonConfiguration {
        do {
            let (configuration, warnings) = try ConfigurationReader.load(path: path)
            for warning in warnings { printError("warning: \(warning)") }
            return configuration
        } catch {
            printError(error.description)
            throw ExitStatus.configuration
        }
    }

    /// What `run` and `poll` need (`DaemonSession`), with logging set up; a refusal is printed and exits with
    /// its sysexits status (78 a secret, 75 locked, 73/74 the state directory, 65 a damaged database).
    func startDaemonSession(
        logFormat: DaemonConfiguration.LogFormat? = nil
    ) throws -> (DaemonConfiguration, InstanceLock, Store, HTTPClient) {
        let configuration = try load()
        let level = configuration.logLevel
        let style: DaemonLogHandler.Style =
            (logFormat ?? configuration.logFormat) == .json ? .json : DaemonLogHandler.detectStyle()
        do {
            let session = try DaemonSession.open(configuration)
            LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level, style: style) }
            return (configuration, session.lock, session.store, session.http)
        } catch {
            printError(error.kind == .configuration ? error.description : "directus-promoter: \(error)")
            throw ExitStatus.of(error)
        }
    }

    /// The daemon's services for `run` and `poll` (`DaemonApp.build`); a secret that cannot be read is exit 78.
    func build(
        configuration: DaemonConfiguration, store: Store, http: HTTPClient, logger: Logger,
        options: DaemonApp.Options = DaemonApp.Options()
    ) throws -> DaemonApp.Built {
        do {
            return try DaemonApp.build(
                configurationPath: path, configuration: configuration, store: store, http: http, logger: logger,
                options: options)
        } catch {
            printError("\(path): \(error)")
            throw ExitStatus.configuration
        }
    }

    /// Opens the state database of an existing installation (commands that only read or record decisions).
    func openStore(_ configuration: DaemonConfiguration) throws -> Store {
        guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
            throw CommandError(
                "no state database at \(configuration.databasePath): the daemon has not run yet "
                    + "(start it, or run `directus-promoter poll` once)")
        }
        return try Store.open(path: configuration.databasePath)
    }
}

/// `--log-format` for the commands that run the daemon's services.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-format"),
        help:
            "text (one readable line per record) or json (one object per line, for log shippers); default: log.format.")
    var logFormat: DaemonConfiguration.LogFormat?
}

extension DaemonConfiguration.LogFormat: ExpressibleByArgument {}

/// `--json` and `--color` for commands that print reports.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON for scripts instead of tables for people.")
    var json = false

    @Option(help: "Colour the tables: auto (on a terminal), always, never.")
    var color: ColorChoice = .auto

    var colored: Bool { !json && color.enabled(forStandardOutput: true) }

    func emit(_ value: JSONValue) {
        print(JSONWriter(layout: .indented("  ")).string(value))
    }
}

/// Writes a line to stderr, with every secret the process knows blanked out.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((Redactor.process.redact(text) + "\n").utf8))
}

/// Reads `--since`: an ISO 8601 date or time, or a span back from now (`90m`, `12h`, `7d`).
func parseSince(_ text: String, now: Date) throws -> Date {
    if let span = ConfigurationReader.parseDuration(text) {
        return now.addingTimeInterval(-span.seconds)
    }
    let full = ISO8601DateFormatter()
    if let date = full.date(from: text) { return date }
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    if let date = day.date(from: text) { return date }
    throw ValidationError("--since: \(text) is neither a date (2026-11-27, 2026-11-27T10:00:00Z) nor a span (12h, 7d)")
}
