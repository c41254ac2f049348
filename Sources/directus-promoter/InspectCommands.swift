import ArgumentParser
import AsyncHTTPClient
import DirectusClient
import DirectusConfig
import DirectusSchema
import Foundation
import Logging
import PromotionCore
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
            // The identity mapping the daemon recorded, when it has run: the plan matches records as it would.
            var mapping: [ConfigKind: [String: String]] = [:]
            if FileManager.default.fileExists(atPath: configuration.databasePath) {
                let store = try Store.open(path: configuration.databasePath)
                for entry in try store.identities(source: configuration.source.name, target: environment) {
                    mapping[entry.kind, default: [:]][entry.sourceID] = entry.targetID
                }
            }
            result = .success(
                try await PlanPreview.make(
                    target: environment, configuration: configuration, http: http, mapping: mapping))
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
            usage: "directus-promoter snapshot export <id> [--format json] [--content]",
            discussion: """
                ID is a snapshot hash or a unique prefix of one (see `snapshots`), or a revision (r3). The output \
                can be given to `directus schema apply` or to POST /schema/diff. With --configuration or \
                --content, a revision's configuration or reference data, in the canonical form history keeps.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case yaml, json
        }

        @OptionGroup var options: ConfigOptions

        @Argument(help: "A snapshot hash (or a unique prefix), or a revision such as r3.")
        var id: String

        @Option(help: "yaml or json.")
        var format: Format = .yaml

        @Flag(help: "The revision's configuration (canonical) instead of its schema.")
        var configuration = false

        @Flag(help: "The revision's reference data (canonical) instead of its schema.")
        var content = false

        func validate() throws {
            if configuration && content { throw ValidationError("give --configuration or --content, not both") }
        }

        func run() throws {
            let settings = try options.load()
            let store = try options.openStore(settings)
            if content {
                guard id.hasPrefix("r"), let number = Int64(id.dropFirst()) else {
                    throw CommandError("--content takes a revision, such as r3")
                }
                guard let revision = try store.revision(id: number) else { throw CommandError("no revision \(id)") }
                guard let hash = revision.contentHash else {
                    throw CommandError("revision \(id) holds no reference data (the pipeline promoted none then)")
                }
                guard let stored = try store.content(hash: hash) else {
                    throw CommandError("the reference data of \(id) is missing from the state database")
                }
                let value = try JSONParser.parse(stored.storedJSON)
                switch format {
                case .json: print(JSONWriter(layout: .indented("  ")).string(value))
                case .yaml: print(try YAMLWriter.string(value), terminator: "")
                }
                return
            }
            if configuration {
                let stored = try Self.configuration(id, store: store)
                let value = try JSONParser.parse(stored.storedJSON)
                switch format {
                case .json: print(JSONWriter(layout: .indented("  ")).string(value))
                case .yaml: print(try YAMLWriter.string(value), terminator: "")
                }
                return
            }
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

        /// A revision's configuration (`r3`), or a stored configuration by its hash or a unique prefix of it.
        static func configuration(_ id: String, store: Store) throws -> ConfigurationSnapshot {
            var hash: String?
            if id.hasPrefix("r"), let number = Int64(id.dropFirst()) {
                guard let revision = try store.revision(id: number) else {
                    throw CommandError("no revision \(id)")
                }
                guard let configHash = revision.configHash else {
                    throw CommandError(
                        "revision \(id) holds no configuration (the pipeline promoted the schema alone then)")
                }
                hash = configHash
            } else {
                let matches = try store.configurationHashes(prefix: id.lowercased())
                guard matches.count == 1 else {
                    throw CommandError(
                        matches.isEmpty
                            ? "no stored configuration \(id)" : "\(id) names \(matches.count) configurations: longer")
                }
                hash = matches[0]
            }
            guard let hash, let stored = try store.configuration(hash: hash) else {
                throw CommandError("the configuration \(id) is missing from the state database")
            }
            return stored
        }
    }
}

/// `directus-promoter config match|mappings`: which record of a target is which record of the source.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Say which configuration record is which, per target.",
        subcommands: [Match.self, Mappings.self])

    struct Match: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match",
            abstract: "Say that a target's record is the source's record KEY.",
            usage: "directus-promoter config match <target> <key> <target-id> [--comment <why>] [options]",
            discussion: """
                KEY is a logical key as plans show it (role:Editor, role:Editor#2, policy:Marketing). The match is \
                kept in the state database and wins over names from then on, so a renamed record stays the same \
                record. A promotion blocked by an ambiguous record goes on after `retry`.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: "The target environment.")
        var target: String

        @Argument(help: "The source's record, by logical key.")
        var key: String

        @Argument(help: "The id of the target's record.")
        var targetID: String

        @Option(help: "Why (kept in the audit log).")
        var comment: String?

        func run() throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let source = configuration.source.name
            guard configuration.targets.contains(where: { $0.name == target }) else {
                throw CommandError("\(target) is not a target of the pipeline in \(configuration.path)")
            }
            guard let hash = try store.latestRevision(environment: source)?.configHash,
                let stored = try store.configuration(hash: hash)
            else {
                throw CommandError("no configuration of \(source) is recorded yet (does the pipeline promote it?)")
            }
            guard let entity = stored.entities[key], let sourceID = entity.sourceID else {
                let near = stored.entities.keys.filter { $0.hasPrefix(key.split(separator: "#")[0]) }.sorted()
                throw CommandError(
                    "\(source) has no record \(key)"
                        + (near.isEmpty ? "" : " (there are \(near.prefix(5).joined(separator: ", ")))"))
            }
            let actor = DecisionDesk.localUser()
            var message = "\(actor) matched \(key) of \(source) with \(entity.kind.collection) \(targetID) on \(target)"
            if let comment, !comment.isEmpty { message += ": \(comment)" }
            try store.recordIdentity(
                source: source, target: target, kind: entity.kind, sourceID: sourceID, targetID: targetID,
                origin: .confirmed, actor: actor, message: message, at: Date())
            DecisionDesk.poke(stateDirectory: configuration.stateDirectory)
            print("matched: \(key) is \(entity.kind.collection) \(targetID) on \(target)")
        }
    }

    struct Mappings: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mappings", abstract: "List the records matched on a target, and how.",
            usage: "directus-promoter config mappings <target> [--json] [options]")

        @OptionGroup var options: ConfigOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The target environment.")
        var target: String

        func run() throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let entries = try store.identities(source: configuration.source.name, target: target)
            if output.json {
                output.emit(
                    .array(
                        entries.map { entry in
                            [
                                "kind": .string(entry.kind.rawValue), "source_id": .string(entry.sourceID),
                                "target_id": .string(entry.targetID), "origin": .string(entry.origin.rawValue),
                                "recorded_at": .string(Timestamp.utc(entry.recordedAt)),
                            ]
                        }))
                return
            }
            print(
                Table(
                    header: ["KIND", "SOURCE ID", "TARGET ID", "HOW", "WHEN"],
                    rows: entries.map {
                        [$0.kind.rawValue, $0.sourceID, $0.targetID, $0.origin.rawValue, Timestamp.utc($0.recordedAt)]
                    }
                ).render(), terminator: "")
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
            if !listing.drifts.isEmpty || !listing.configurationDrifts.isEmpty { throw ExitStatus.attention }
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
            abstract: "Adopt an environment's drift (schema, configuration, content) as expected.",
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
            if (try store.contentDrift(environment: environment)) != nil {
                let drift = try store.acceptContentDrift(
                    environment: environment, actor: actor, comment: comment, at: Date())
                accepted.append("its current reference data (\(drift.summary))")
            }
            guard !accepted.isEmpty else {
                throw CommandError("\(environment) has no drift to accept (see `directus-promoter drift list`)")
            }
            DecisionDesk.poke(stateDirectory: configuration.stateDirectory)
            print("accepted: \(environment) is now expected to have \(accepted.joined(separator: " and "))")
        }
    }
}
