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
        discussion: """
            Takes the source's schema as it is now and asks the environment for the diff (POST /schema/diff, which
            changes nothing), then prints the plan. Nothing is written to the state database.
            Exit status: 0 nothing to apply, 2 changes, 1 error.
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The target environment.")
    var environment: String

    func run() async throws {
        let configuration = try options.load()
        guard let target = configuration.environments.first(where: { $0.name == environment }) else {
            throw CommandError(
                "no environment \(environment) in \(options.path) (there are "
                    + "\(configuration.environments.map(\.name).joined(separator: ", ")))")
        }
        guard target.name != configuration.source.name else {
            throw CommandError("\(environment) is the source: changes are promoted from it, never to it")
        }
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: .warning) }
        let http = DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout)
        let result: Result<TargetPlanner.Observation, Error>
        do {
            let source = DirectusClient(
                endpoint: try configuration.endpoint(for: configuration.source), httpClient: http)
            let client = DirectusClient(endpoint: try configuration.endpoint(for: target), httpClient: http)
            // The daemon's own planning: the same upload, the same shaping (ignore rules, system indexes,
            // destructive: never), so this shows what the daemon would apply.
            let shaper = try configuration.engineConfiguration().shaper(for: target.name)
            result = .success(
                try await TargetPlanner.observe(
                    source: try await source.snapshot(), on: client, shaper: shaper, force: target.force))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        let observation = try result.mapError { CommandError("\($0)") }.get()
        let notes = observation.shaped?.notes ?? []
        guard let pending = observation.pending, let shaped = observation.shaped, !shaped.isEmpty else {
            if output.json {
                output.emit([
                    "environment": .string(environment), "in_sync": true, "plan": .null,
                    "left_out": .array(notes.map(JSONValue.string)),
                ])
            } else {
                print("\(environment) already has \(configuration.source.name)'s schema: nothing to apply")
                for note in notes { print("  (\(note))") }
            }
            return
        }
        if output.json {
            output.emit([
                "environment": .string(environment), "in_sync": false, "hash": .string(pending.hash),
                "plan": PlanRenderer.json(shaped.plan), "left_out": .array(notes.map(JSONValue.string)),
            ])
        } else {
            print("What promoting \(configuration.source.name) to \(environment) would apply now:\n")
            print(PlanRenderer.text(shaped.plan, color: output.colored), terminator: "")
            for note in notes { print("\nLeft out: \(note)") }
        }
        throw ExitStatus.changes
    }
}

/// `directus-promoter snapshots`: the schemas seen on each environment.
struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "List the schema snapshots seen on each environment, newest first.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("env"), help: "Only this environment.")
    var environment: String?

    @Option(help: "How many to list.")
    var limit = 50

    func run() throws {
        let configuration = try options.load()
        let store = try options.openStore(configuration)
        let sightings = try store.snapshotHistory(environment: environment, limit: limit)
        if output.json {
            output.emit(
                .array(
                    sightings.map { sighting in
                        [
                            "environment": .string(sighting.environment), "hash": .string(sighting.hash),
                            "directus_version": sighting.directusVersion.map(JSONValue.string) ?? .null,
                            "size": .number(JSONNumber(sighting.size)),
                            "first_seen": .string(PromotionView.timestamp(sighting.firstSeen)),
                            "last_seen": .string(PromotionView.timestamp(sighting.lastSeen)),
                            "polls": .number(JSONNumber(sighting.times)),
                        ]
                    }))
            return
        }
        guard !sightings.isEmpty else {
            print("no snapshots" + (environment.map { " of \($0)" } ?? ""))
            return
        }
        let now = Date()
        print(
            Table(
                header: ["ENVIRONMENT", "SNAPSHOT", "VERSION", "SIZE", "FIRST SEEN", "LAST SEEN", "POLLS"],
                rows: sightings.map {
                    [
                        $0.environment, String($0.hash.prefix(12)), $0.directusVersion ?? "—",
                        Self.size($0.size), RelativeTime.describe($0.firstSeen, now: now),
                        RelativeTime.describe($0.lastSeen, now: now), "\($0.times)",
                    ]
                }
            ).render(), terminator: "")
        print("\nexport one with: directus-promoter snapshot export SNAPSHOT (a hash prefix, or a revision like r3)")
    }

    static func size(_ bytes: Int) -> String {
        bytes < 10_000 ? "\(bytes) B" : bytes < 10_000_000 ? "\(bytes / 1000) kB" : "\(bytes / 1_000_000) MB"
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
            discussion: """
                ID is a snapshot hash or a unique prefix of one (see `snapshots`), or a revision (r3). The output
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
            let hash: String
            if id.hasPrefix("r"), let number = Int64(id.dropFirst()) {
                guard let revision = try store.revision(id: number) else { throw CommandError("no revision \(id)") }
                hash = revision.snapshotHash
            } else {
                let matches = try store.snapshotHashes(prefix: id)
                guard id.count >= 4, !matches.isEmpty else {
                    throw CommandError(
                        "no snapshot \(id) (give at least 4 characters of a hash, or a revision like r3)")
                }
                guard matches.count == 1 else {
                    throw CommandError(
                        "\(id) is ambiguous: \(matches.map { String($0.prefix(16)) }.joined(separator: ", "))")
                }
                hash = matches[0]
            }
            guard let snapshot = try store.snapshot(hash: hash) else { throw CommandError("no snapshot \(hash)") }
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
            Offline: every problem with its file, line and column, and every secret it names (token and password
            files and variables, webhook addresses and secrets) read, never printed (exit 78 on any problem). With
            --online: reaches every instance, checks that the credentials are an admin's (the schema endpoints
            need one), and that versions and vendors allow promotion along the pipeline (or that force is set).
            With --deep: checks every page of the state database (PRAGMA integrity_check; exit 65 when damaged).
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
                let store: Store
                do {
                    store = try options.openStore(configuration)
                } catch let error as StoreError where error.isCorruption {
                    try ConfigOptions.refuseDamaged(path: configuration.databasePath, result: error.description)
                    return
                }
                try ConfigOptions.refuseDamaged(
                    store, path: configuration.databasePath, check: { try $0.integrityCheck() })
                print("\(configuration.databasePath): integrity check ok")
            } else {
                print("\(configuration.databasePath): no state database yet")
            }
        }
        guard online else { return }
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: .critical) }
        let http = DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout)
        var failures = 0
        var seen: [(name: String, version: String?, vendor: String?, force: Bool)] = []
        for environment in configuration.environments {
            do {
                let client = DirectusClient(endpoint: try configuration.endpoint(for: environment), httpClient: http)
                let snapshot = try await client.snapshot()
                let info = try? await client.serverInfo()
                let version = info?.version ?? snapshot.directus
                print(
                    "  ✓ \(environment.name): \(environment.url) answers as an admin; Directus \(version ?? "?"), "
                        + "\(snapshot.vendor ?? "unknown vendor"), \(snapshot.collections.count) collections")
                seen.append((environment.name, version, snapshot.vendor, environment.force))
            } catch {
                failures += 1
                print("  ✗ \(environment.name): \(error)")
                seen.append((environment.name, nil, nil, environment.force))
            }
        }
        try? await http.shutdown()
        for (upstream, target) in zip(seen, seen.dropFirst()) {
            guard let fromVersion = upstream.version, let toVersion = target.version else { continue }
            if fromVersion != toVersion && !target.force {
                failures += 1
                print(
                    "  ✗ \(upstream.name) → \(target.name): Directus \(fromVersion) vs \(toVersion): Directus refuses "
                        + "the diff unless the versions match; upgrade one, or set force: true on \(target.name)")
            }
            if upstream.vendor != target.vendor && !target.force {
                failures += 1
                print(
                    "  ✗ \(upstream.name) → \(target.name): \(upstream.vendor ?? "?") vs \(target.vendor ?? "?"): "
                        + "Directus refuses the diff across database vendors unless force: true is set on \(target.name)"
                )
            }
        }
        if failures > 0 { throw ExitStatus.failure }
        print("all instances reachable and compatible along the pipeline")
    }
}

/// `directus-promoter drift`: schemas changed behind the pipeline's back.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift", abstract: "Show or accept drift (changes made directly on an environment).",
        subcommands: [List.self, Accept.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the environments whose schema differs from what they should have.")

        @OptionGroup var options: ConfigOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let drifts = try store.drifts()
            if output.json {
                output.emit(
                    .array(
                        drifts.map { drift in
                            [
                                "environment": .string(drift.environment), "summary": .string(drift.summary),
                                "observed_hash": .string(drift.observedHash),
                                "expected_hash": .string(drift.expectedHash),
                                "detected_at": .string(PromotionView.timestamp(drift.detectedAt)),
                            ]
                        }))
            } else if drifts.isEmpty {
                print("no drift: every environment has the schema it should have")
            } else {
                let now = Date()
                print(
                    Table(
                        header: ["ENVIRONMENT", "SINCE", "WHAT CHANGED"],
                        rows: drifts.map {
                            [$0.environment, RelativeTime.describe($0.detectedAt, now: now), $0.summary]
                        }
                    ).render(), terminator: "")
            }
            if !drifts.isEmpty { throw ExitStatus.attention }
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract: "Adopt an environment's drifted schema as the schema it should have.",
            discussion: """
                The drift stops being reported, and later promotions are planned against the schema the environment
                really has. The next promotion still brings the environment to the source's schema for everything
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
            let actor = unixUser()
            let drift: DriftRecord
            do {
                drift = try store.acceptDrift(environment: environment, actor: actor, comment: comment, at: Date())
            } catch StoreError.notFound {
                throw CommandError("\(environment) has no drift to accept (see `directus-promoter drift list`)")
            }
            pokeDaemon(stateDirectory: configuration.stateDirectory)
            print("accepted: \(environment) is now expected to have its current schema (\(drift.summary))")
        }
    }
}
