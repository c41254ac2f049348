import ArgumentParser
import AsyncHTTPClient
import DirectusClient
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import PromotionStore

/// `directus-promoter plan ENV`: what would be applied to ENV now.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what would be applied to an environment now, without recording anything.",
        usage: "directus-promoter plan <environment> [--json] [options]",
        discussion: """
            Takes the source's schema as it is now and asks the environment for the diff (POST /schema/diff, which \
            changes nothing), then prints the plan. Nothing is written to the state database. \
            Exit status: 0 nothing to apply, 2 changes, 1 error.
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The target environment.")
    var environment: String

    func run() async throws {
        let configuration = try options.load()
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: .warning) }
        let http = DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout)
        let result: Result<PlanPreview, Error>
        do {
            result = .success(try await PlanPreview.make(target: environment, configuration: configuration, http: http))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        let preview = try result.mapError { CommandError("\($0)") }.get()
        if output.json {
            output.emit(preview.json)
        } else {
            print(preview.text(color: output.colored), terminator: "")
        }
        if preview.hasChanges { throw ExitStatus.changes }
    }
}

/// `directus-promoter snapshots`: the schemas seen on each environment.
struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List the schema snapshots seen on each environment, newest first.",
        usage: "directus-promoter snapshots [--env <env>] [--limit <n>] [options]")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("env"), help: "Only this environment.")
    var environment: String?

    @Option(help: "How many to list.")
    var limit = 50

    func run() throws {
        let configuration = try options.load()
        let store = try options.openStore(configuration)
        let listing = try SnapshotListing(store: store, environment: environment, limit: limit)
        if output.json {
            output.emit(listing.json)
        } else if listing.sightings.isEmpty {
            print("no snapshots" + (environment.map { " of \($0)" } ?? ""))
        } else {
            print(listing.text(now: Date()), terminator: "")
            print(
                "\nexport one with: directus-promoter snapshot export SNAPSHOT (a hash prefix, or a revision like r3)")
        }
    }
}

/// `directus-promoter snapshot export ID`.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Work with stored snapshots.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Print a stored snapshot, as Directus's own snapshot format (YAML or JSON).",
            usage: "directus-promoter snapshot export <id> [--format yaml|json] [options]",
            discussion: """
                ID is a snapshot hash or a unique prefix of one (see `snapshots`), or a revision (r3). The output \
                can be given to `directus schema apply` or to POST /schema/diff.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case yaml, json
        }

        @OptionGroup var options: ConfigOptions

        @Argument(help: "A snapshot hash (or a unique prefix), or a revision such as r3.")
        var id: String

        @Option(help: "yaml or json.")
        var format: Format = .yaml

        func run() throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let snapshot: Snapshot
            do {
                snapshot = try SnapshotListing.snapshot(id, store: store)
            } catch let unknown as SnapshotListing.Unknown {
                throw CommandError(unknown.description)
            }
            switch format {
            case .json: print(JSONWriter(layout: .indented("  ")).string(snapshot.json))
            case .yaml: print(try YAMLWriter.string(snapshot.json), terminator: "")
            }
        }
    }
}

/// `directus-promoter check-config [--online] [--deep]`.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration; with --online, also reach every instance.",
        discussion: """
            Offline: every problem with its file, line and column, and every secret it names (token and password \
            files and variables, webhook addresses and secrets) read, never printed (exit 78 on any problem). With \
            --online: reaches every instance, checks that the credentials are an admin's (the schema endpoints \
            need one), and that versions and vendors allow promotion along the pipeline (or that force is set). \
            With --deep: checks every page of the state database (PRAGMA integrity_check; exit 65 when damaged). \
            Exit status: 0 ok, 1 an online check failed, 65 the state database is damaged, 78 the file is invalid.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Reach every instance and check rights, versions and vendors.")
    var online = false

    @Flag(help: "Check every page of the state database (slow on a large one).")
    var deep = false

    func run() async throws {
        let configuration = try options.load()
        let secretProblems = configuration.secretProblems()
        if !secretProblems.isEmpty {
            for problem in secretProblems { printError(problem) }
            throw ExitStatus.configuration
        }
        print(
            "\(options.path): ok: \(configuration.environments.map(\.name).joined(separator: " → ")), "
                + "polled every \(configuration.pollInterval), state in \(configuration.stateDirectory); every secret "
                + "readable")
        if deep {
            if FileManager.default.fileExists(atPath: configuration.databasePath) {
                do {
                    let store: Store
                    do {
                        store = try options.openStore(configuration)
                    } catch let error as StoreError where error.isCorruption {
                        throw DaemonSession.damaged(configuration.databasePath, sqlite: error.description)
                    }
                    try DaemonSession.check(store, path: configuration.databasePath) { try $0.integrityCheck() }
                } catch let refusal as DaemonSession.Refusal {
                    printError("directus-promoter: \(refusal)")
                    throw ExitStatus.of(refusal)
                }
                print("\(configuration.databasePath): integrity check ok")
            } else {
                print("\(configuration.databasePath): no state database yet")
            }
        }
        guard online else { return }
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: .critical) }
        let http = DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout)
        let result = await OnlineCheck.run(configuration, http: http)
        try? await http.shutdown()
        for line in result.lines { print(line) }
        guard result.ok else { throw ExitStatus.failure }
        print("all instances reachable and compatible along the pipeline")
    }
}

/// `directus-promoter drift`: schemas changed behind the pipeline's back.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift", abstract: "Show or accept drift (changes made directly on an environment).",
        subcommands: [List.self, Show.self, Accept.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the environments whose schema differs from what they should have.")

        @OptionGroup var options: ConfigOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let configuration = try options.load()
            let listing = try DriftListing(store: try options.openStore(configuration))
            if output.json {
                output.emit(listing.json)
            } else {
                print(listing.text(now: Date()), terminator: "")
            }
            if !listing.drifts.isEmpty { throw ExitStatus.attention }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show what changed on a drifted environment, as a plan.",
            usage: "directus-promoter drift show <environment> [--json] [options]")

        @OptionGroup var options: ConfigOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The environment.")
        var environment: String

        func run() throws {
            let configuration = try options.load()
            guard configuration.environments.contains(where: { $0.name == environment }) else {
                throw CommandError("no environment \(environment) in \(configuration.path)")
            }
            guard
                let detail = try DriftDetail(
                    environment: environment, store: try options.openStore(configuration), configuration: configuration)
            else {
                print("\(environment) has the schema it should have: no drift")
                return
            }
            if output.json {
                output.emit(detail.json)
            } else {
                print(detail.text(now: Date(), color: output.colored), terminator: "")
            }
            throw ExitStatus.attention
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract: "Adopt an environment's drift (schema, configuration) as what it should have.",
            usage: "directus-promoter drift accept <environment> [--comment <why>] [options]",
            discussion: """
                The drift stops being reported, and later promotions are planned against the schema the environment \
                really has. The next promotion still brings the environment to the source's schema for everything \
                the source defines, unless the drifted entities are listed under `ignore`.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: "The drifted environment.")
        var environment: String

        @Option(help: "Why (kept in the audit log).")
        var comment: String?

        func run() throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let actor = DecisionDesk.localUser()
            // The schema's drift and the configuration's, whichever the environment has.
            var accepted: [String] = []
            if (try store.drift(environment: environment)) != nil {
                let drift = try store.acceptDrift(environment: environment, actor: actor, comment: comment, at: Date())
                accepted.append("its current schema (\(drift.summary))")
            }
            if (try store.configDrift(environment: environment)) != nil {
                let drift = try store.acceptConfigDrift(
                    environment: environment, actor: actor, comment: comment, at: Date())
                accepted.append("its current configuration (\(drift.summary))")
            }
            guard !accepted.isEmpty else {
                throw CommandError("\(environment) has no drift to accept (see `directus-promoter drift list`)")
            }
            DecisionDesk.poke(stateDirectory: configuration.stateDirectory)
            print("accepted: \(environment) is now expected to have \(accepted.joined(separator: " and "))")
        }
    }
}
