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

    /// What `run` and `poll` need: the configuration with every secret it names readable (else exit 78), logging
    /// set up, the state directory's lock (exit 75 when another daemon holds it; 73 or 74 when the directory cannot
    /// be made or opened), the state database, checked (65 when it is damaged), and the process's HTTP client.
    func startDaemonSession() throws -> (DaemonConfiguration, InstanceLock, Store, HTTPClient) {
        let configuration = try load()
        let secretProblems = configuration.secretProblems()
        if !secretProblems.isEmpty {
            for problem in secretProblems { printError(problem) }
            throw ExitStatus.configuration
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level) }
        let lock: InstanceLock
        do {
            lock = try InstanceLock(directory: configuration.stateDirectory)
        } catch let held as InstanceLock.Held {
            printError("directus-promoter: \(held)")
            throw ExitStatus.locked
        } catch let failure as InstanceLock.Failure {
            printError("directus-promoter: \(failure)")
            throw failure.kind == .cannotCreate ? ExitStatus.cannotCreate : ExitStatus.ioError
        }
        let store: Store
        do {
            store = try Store.open(path: configuration.databasePath)
        } catch let error where error.isCorruption {
            try Self.refuseDamaged(path: configuration.databasePath, result: error.description)
            throw ExitStatus.damagedState
        } catch {
            printError("directus-promoter: cannot open the state database: \(error)")
            throw ExitStatus.ioError
        }
        try Self.refuseDamaged(store, path: configuration.databasePath, check: { try $0.quickCheck() })
        return (configuration, lock, store, DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout))
    }

    /// Stops with exit 65 and the way back when the state database fails `check` (a quick or a full check).
    static func refuseDamaged(_ store: Store, path: String, check: (Store) throws -> String) throws {
        let result: String
        do {
            result = try check(store)
        } catch {
            result = "\(error)"
        }
        try refuseDamaged(path: path, result: result)
    }

    /// Stops with exit 65 and the way back unless `result` is SQLite's `ok`.
    static func refuseDamaged(path: String, result: String) throws {
        guard result != "ok" else { return }
        printError(
            """
            directus-promoter: the state database \(path) is damaged; nothing was done.
            SQLite says: \(result.split(separator: "\n").prefix(5).joined(separator: "; "))
            Stop every directus-promoter process, keep a copy of the state directory, then either restore the
            database from your latest backup, or salvage it: sqlite3 \(path) .recover | sqlite3 recovered.sqlite
            and put recovered.sqlite in its place (docs/operations.md, "When things go wrong").
            """)
        throw ExitStatus.damagedState
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

/// The Unix user running the command, recorded as the actor of decisions (`alice`, or `root (sudo by alice)`).
func unixUser() -> String {
    var name = "uid \(getuid())"
    if let entry = getpwuid(getuid()), let pointer = entry.pointee.pw_name {
        name = String(cString: pointer)
    }
    if name == "root", let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], !sudo.isEmpty {
        return "root (sudo by \(sudo))"
    }
    return name
}

/// Asks a running daemon (the holder of the state directory's lock) to tick now, so that a decision is acted on
/// at once rather than at the next poll. Only a process that really holds the lock, and is the process the lock
/// file names (same pid, same start time), is signalled. Returns whether a daemon was told.
@discardableResult
func pokeDaemon(stateDirectory: String) -> Bool {
    guard let pid = InstanceLock.holder(directory: stateDirectory)?.pid else { return false }
    return kill(pid, SIGUSR1) == 0
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
