import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionCore
import PromotionDaemon
import PromotionStore

/// The narrated demo: three Directus emulators on loopback, the daemon's own services over a temporary state
/// directory, a schema change on development told step by step to production. `directus-promoter demo` runs it.
public enum Demo {
    /// Why the demo stopped short.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Runs the demo in `directory` (removed afterwards unless `keep`), polling every `interval` seconds;
    /// `actor` approves production.
    public static func run(
        interval: Double, directory: String, keep: Bool, actor: String, style: TextStyle
    ) async throws {
        let token = "demo-admin-\(UUID().uuidString)"
        var instances: [String: EmulatedInstance] = [:]
        for name in ["development", "staging", "production"] {
            instances[name] = try EmulatedInstance(
                configuration: .withAdminToken(token, version: DemoSchema.version), snapshot: DemoSchema.initial)
        }
        let dev = instances["development"]!
        let narrator = Narrator(style: style)

        try await withThrowingTaskGroup(of: Void.self) { group in
            var urls: [String: String] = [:]
            for name in ["development", "staging", "production"] {
                let (ready, continuation) = AsyncStream.makeStream(of: String.self)
                let instance = instances[name]!
                group.addTask {
                    try await EmulatorServer(instance: instance, host: "127.0.0.1", port: 0).run { url in
                        continuation.yield(url)
                        continuation.finish()
                    }
                }
                for await url in ready { urls[name] = url }
            }
            narrator.say("Three Directus \(DemoSchema.version) emulators are running on loopback:")
            for name in ["development", "staging", "production"] {
                narrator.detail("\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(urls[name]!)")
            }
            let configuration = Self.configuration(urls: urls, token: token, directory: directory, interval: interval)
            // The demo's daemon holds its state directory as `run` would, so `status` sees it running.
            let lock = try InstanceLock(directory: directory)
            defer { withExtendedLifetime(lock) {} }
            let store = try Store.open(path: configuration.databasePath)
            let httpClient = DirectusHTTP.makeClient(connectTimeout: .seconds(5))
            let built = try DaemonApp.build(
                configurationPath: "(demo)", configuration: configuration, store: store, http: httpClient,
                logger: Logger(label: "directus-promoter"),
                options: DaemonApp.Options(trapsSignals: false, notifier: SystemdNotifier(environment: [:])))
            let daemon = Task { try await built.group.run() }
            narrator.say(
                "The daemon polls development every \(interval) s; staging is automatic, production needs one "
                    + "approval. State: \(configuration.databasePath)")

            let outcome: Result<Void, Error>
            do {
                let kept = keep ? try Self.keepConfiguration(configuration, in: directory) : nil
                try await Self.script(
                    dev: dev, store: store, configuration: configuration, instances: instances, narrator: narrator,
                    actor: actor, keptConfiguration: kept)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            // A graceful stop, as SIGTERM gives the daemon: the step in progress ends, webhooks are sent.
            await built.group.triggerGracefulShutdown()
            _ = try? await daemon.value
            try? await httpClient.shutdown()
            group.cancelAll()
            if keep {
                narrator.say("The state directory is kept: \(directory) (delete it when done)")
            }
            try outcome.get()
        }
    }

    /// The story: baseline, a change on development, staging, approval, production.
    static func script(
        dev: EmulatedInstance, store: Store, configuration: DaemonConfiguration,
        instances: [String: EmulatedInstance], narrator: Narrator, actor: String, keptConfiguration: String?
    ) async throws {
        try await waitFor("the first poll", store: store) { store in
            guard let revision = try store.latestRevision() else { return false }
            return try ["staging", "production"].allSatisfy {
                try store.promotion(revisionID: revision.id, target: $0)?.state == .applied
            }
        }
        narrator.say("First poll: development's schema is revision r1; staging and production already have it.")

        await dev.replaceSchema(DemoSchema.withSummary)
        narrator.say("A developer adds a field on development: articles.summary (text).")
        try await waitFor("staging", store: store) { store in
            guard let revision = try store.latestRevision(), revision.id >= 2 else { return false }
            return try store.promotion(revisionID: revision.id, target: "staging")?.state == .applied
        }
        let revision = try store.latestRevision()!
        narrator.say("Detected revision r\(revision.id); applied to staging automatically and verified.")
        let pending = try await waitFor("production to ask for approval", store: store) { store in
            try store.promotion(revisionID: revision.id, target: "production")?.state == .awaitingApproval
        }
        _ = pending
        let production = try store.promotion(revisionID: revision.id, target: "production")!
        narrator.say("Production waits for a person. `directus-promoter status` says:")
        narrator.block(
            try StatusReport(store: store, configuration: configuration).text(now: Date(), color: narrator.style.color))

        try store.recordDecision(
            promotionID: production.id, kind: .approve, actor: actor, comment: "looks good (demo)", at: Date())
        narrator.say("\(actor) runs `directus-promoter approve \(production.id)`.")
        try await waitFor("production", store: store) { store in
            try store.promotion(id: production.id)?.state == .applied
        }
        narrator.say("Approved, applied to production, and verified. `directus-promoter status` now says:")
        narrator.block(
            try StatusReport(store: store, configuration: configuration).text(now: Date(), color: narrator.style.color))

        let source = await dev.schema()
        var equal = true
        for name in ["staging", "production"] {
            let schema = await instances[name]!.schema()
            if !SnapshotDiffer.diff(current: schema, after: source).isEmpty { equal = false }
        }
        guard equal else { throw Failure(description: "the schemas differ at the end of the demo") }
        narrator.say(
            "All three schemas are equal. Every step is in the audit log: "
                + (keptConfiguration.map { "`directus-promoter show \(production.id) --config \($0)`." }
                    ?? "run the demo with --keep to look at it afterwards (`show`, `history`, `status` with the "
                    + "configuration it leaves)."))
    }

    /// Polls the store until `condition` holds (30 s at most).
    @discardableResult
    static func waitFor(
        _ what: String, store: Store, _ condition: (Store) throws -> Bool
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try condition(store) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the demo waited 30 s for \(what) and gave up")
    }

    /// Writes a configuration for the kept state directory, so `show`, `history` and `status` work on it after the
    /// demo (the emulators are gone: only commands that read the state make sense). Returns its path.
    static func keepConfiguration(_ configuration: DaemonConfiguration, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("config.yaml")
        var text = """
            # The demo's configuration, kept with its state (directus-promoter demo --keep). The emulators it names
            # stopped with the demo: commands that read the state (show, history, status, snapshots) work.
            poll: {interval: 60s}
            state_directory: \(directory)
            environments:

            """
        for environment in configuration.environments {
            text +=
                "  - {name: \(environment.name), url: \"\(environment.url)\", token_env: DIRECTUS_PROMOTER_DEMO_TOKEN}\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func configuration(
        urls: [String: String], token: String, directory: String, interval: Double
    ) -> DaemonConfiguration {
        let environments = ["development", "staging", "production"].enumerated().map { index, name in
            var environment = DaemonConfiguration.Environment(
                name: name, url: urls[name]!, credentials: .token(.inline(Secret(token))))
            environment.requestTimeout = .seconds(10)
            environment.approval = ApprovalPolicy.defaultPolicy(forTargetAt: index - 1)
            return environment
        }
        return DaemonConfiguration(
            path: "(demo)", pollInterval: .milliseconds(Int64(interval * 1000)), pollJitter: 0,
            stateDirectory: directory, logLevel: .error, connectTimeout: .seconds(5), environments: environments)
    }
}

/// Prints the demo's story.
public struct Narrator: Sendable {
    let style: TextStyle

    public init(style: TextStyle) { self.style = style }

    public func say(_ text: String) {
        print("\n" + style.bold("▸") + " " + text)
    }

    func detail(_ text: String) {
        print("    " + text)
    }

    func block(_ text: String) {
        print(text.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }.joined(separator: "\n"))
    }
}
