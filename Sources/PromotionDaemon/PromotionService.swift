import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionCore
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The daemon as a `Service`: ticks the engine on the poll schedule, reloads the configuration on SIGHUP (a bad
/// one is refused and the running one kept), talks to systemd, and on graceful shutdown (SIGTERM, SIGINT)
/// finishes the step in progress (an apply already sent is waited for) and stops.
public final class PromotionService: Service, Sendable {
    let configurationPath: String
    let initial: DaemonConfiguration
    let store: Store
    let httpClient: HTTPClient
    let notifier: SystemdNotifier
    let logger: Logger
    let now: @Sendable () -> Date
    /// How many ticks to run before stopping on its own (`nil`: until shut down). For tests and `poll`.
    let maxTicks: Int?
    let metrics = DaemonMetrics()

    public init(
        configurationPath: String, configuration: DaemonConfiguration, store: Store, httpClient: HTTPClient,
        notifier: SystemdNotifier = SystemdNotifier(), logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        maxTicks: Int? = nil
    ) {
        self.configurationPath = configurationPath
        self.initial = configuration
        self.store = store
        self.httpClient = httpClient
        self.notifier = notifier
        self.logger = logger
        self.now = now
        self.maxTicks = maxTicks
    }

    /// Why the loop woke up.
    enum Wake: Sendable {
        case timer(Int)
        case reload
        /// SIGUSR1: a decision was recorded; tick now.
        case poke
    }

    public func run() async throws {
        var configuration = initial
        var engine = try Self.makeEngine(
            configuration, store: store, httpClient: httpClient, logger: logger, now: now, metrics: metrics)
        let current = CurrentConfiguration(configuration)
        let notifier = Notifiers(
            try WebhookNotifier(
                webhooks: configuration.webhooks, store: store, httpClient: httpClient, configuration: configuration,
                now: now, logger: logger))
        let (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(8))
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1)
        // The tick in progress: a shutdown or a reload cancels it (an apply already sent is still waited for), so
        // neither waits for an instance that is slow to answer.
        let ticking = CurrentTick()
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in signals.cancelOnGracefulShutdown() {
                    if signal == .sighup { ticking.cancel() }
                    wake.yield(signal == .sighup ? .reload : .poke)
                }
            }
            // Webhook deliveries: their own loop, so that a slow receiver never holds up a promotion.
            group.addTask {
                while !Task.isCancelled {
                    let webhooks = await notifier.current
                    if await !webhooks.isEmpty { await webhooks.runOnce() }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            if let endpoint = configuration.http {
                let server = StatusServer(
                    host: endpoint.host, port: endpoint.port,
                    handler: StatusServer.daemonHandler(
                        store: store, configuration: { current.value }, metrics: metrics, now: now))
                group.addTask { [logger] in
                    do {
                        try await server.run { address in
                            logger.notice("serving /metrics, /healthz and /status on \(address)")
                        }
                    } catch {
                        logger.error("cannot serve on \(endpoint.host):\(endpoint.port): \(error)")
                    }
                }
            }
            if let interval = self.notifier.watchdogInterval {
                group.addTask { [notifier = self.notifier] in
                    while !Task.isCancelled {
                        notifier.watchdog()
                        try await Task.sleep(for: interval)
                    }
                }
            }
            // STOPPING=1 goes out as soon as the shutdown is asked for (the step in progress, an apply say, may take
            // a while yet), or when the loop ends on its own; once either way.
            let stopping = Once()
            let announceStopping = { @Sendable [notifier = self.notifier] in
                stopping.run { notifier.stopping(status: "stopping after the step in progress") }
            }
            await withGracefulShutdownHandler {
                var iterator = wakes.makeAsyncIterator()
                var generation = 0
                var ticks = 0
                var ready = false
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let tick = Task { [engine] in await engine.tick(shouldContinue: { !Task.isCancelled }) }
                    ticking.set(tick)
                    // A shutdown asked for while the tick was being started.
                    if Task.isShuttingDownGracefully { tick.cancel() }
                    let report = await tick.value
                    ticking.set(nil)
                    ticks += 1
                    let status = Self.statusLine(store: store, configuration: configuration, report: report)
                    if ready {
                        self.notifier.status(status)
                    } else {
                        self.notifier.ready(status: status)
                        ready = true
                    }
                    if let maxTicks, ticks >= maxTicks { break }
                    // Wait for the next poll, or a reload.
                    generation += 1
                    let delay = Self.delay(configuration)
                    let timer = Task { [generation] in
                        try? await Task.sleep(for: delay)
                        if !Task.isCancelled { wake.yield(.timer(generation)) }
                    }
                    var reason: Wake?
                    while true {
                        reason = await iterator.next()
                        // A timer of an earlier wait that fired late.
                        if case .timer(let fired)? = reason, fired != generation { continue }
                        break
                    }
                    timer.cancel()
                    guard let reason else { break }
                    if case .reload = reason {
                        self.notifier.reloading()
                        if let reloaded = reload(current: configuration) {
                            await reloaded.engine.takeOver(await engine.carried)
                            configuration = reloaded.configuration
                            engine = reloaded.engine
                            current.value = configuration
                            await notifier.replace(reloaded.webhooks)
                        }
                        self.notifier.ready(status: "configuration reloaded")
                    }
                }
            } onGracefulShutdown: {
                announceStopping()
                ticking.cancel()
                wake.finish()
            }
            announceStopping()
            logger.notice("stopped")
            group.cancelAll()
        }
    }

    /// Reads the configuration again; keeps the running one when the new one is bad.
    func reload(
        current: DaemonConfiguration
    ) -> (configuration: DaemonConfiguration, engine: PromotionEngine, webhooks: WebhookNotifier)? {
        do {
            let (configuration, warnings) = try ConfigurationReader.load(path: configurationPath)
            for warning in warnings { logger.warning("\(warning)") }
            guard configuration.stateDirectory == current.stateDirectory else {
                throw ReloadRefused(
                    reason: "state_directory changed (\(current.stateDirectory) → \(configuration.stateDirectory)); "
                        + "that needs a restart")
            }
            let webhooks = try WebhookNotifier(
                webhooks: configuration.webhooks, store: store, httpClient: httpClient, configuration: configuration,
                now: now, logger: logger)
            let engine = try Self.makeEngine(
                configuration, store: store, httpClient: httpClient, logger: logger, now: now, metrics: metrics)
            // The audit event first, then the log line: whoever reads the log can find the event.
            _ = try? store.appendEvent(
                kind: "config.reloaded", actor: PromotionEngine.actor,
                message: "configuration reloaded from \(configurationPath)", at: now())
            logger.notice(
                "configuration reloaded from \(configurationPath)",
                metadata: ["environments": "\(configuration.environments.map(\.name).joined(separator: ","))"])
            return (configuration, engine, webhooks)
        } catch {
            _ = try? store.appendEvent(
                kind: "config.refused", actor: PromotionEngine.actor,
                message: "reload refused, running configuration kept: \(error)", at: now())
            logger.error("the new configuration is refused; the running one is kept:\n\(error)")
            return nil
        }
    }

    struct ReloadRefused: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    static func delay(_ configuration: DaemonConfiguration) -> Duration {
        configuration.pollInterval * (1 + Double.random(in: 0...max(0, configuration.pollJitter)))
    }

    /// An engine for `configuration`: one client per environment, its secret read now. A secret that cannot be
    /// read fails here, naming the environment and where the secret was looked for (never the secret).
    public static func makeEngine(
        _ configuration: DaemonConfiguration, store: Store, httpClient: HTTPClient, logger: Logger,
        now: @escaping @Sendable () -> Date, metrics: DaemonMetrics? = nil
    ) throws -> PromotionEngine {
        var clients: [String: DirectusClient] = [:]
        for environment in configuration.environments {
            do {
                let endpoint = try configuration.endpoint(for: environment)
                var clientLogger = logger
                clientLogger[metadataKey: "environment"] = "\(environment.name)"
                clients[environment.name] = DirectusClient(
                    endpoint: endpoint, httpClient: httpClient, logger: clientLogger)
            } catch {
                throw SetupError(description: "environment \(environment.name): \(error)")
            }
        }
        var engineLogger = logger
        engineLogger[metadataKey: "component"] = "engine"
        return PromotionEngine(
            configuration: try configuration.engineConfiguration(), clients: clients, store: store, now: now,
            logger: engineLogger, metrics: metrics)
    }

    public struct SetupError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// One line for systemd's STATUS=: the newest revision and where each target is with it.
    static func statusLine(
        store: Store, configuration: DaemonConfiguration, report: PromotionEngine.TickReport
    )
        -> String
    {
        guard let revision = try? store.latestRevision(environment: configuration.source.name) else {
            return report.sourceError.map { "cannot poll \(configuration.source.name): \($0)" }
                ?? "no revision yet"
        }
        var parts = ["revision \(revision.id)"]
        for target in configuration.targets {
            let state = (try? store.promotion(revisionID: revision.id, target: target.name))?.state.words ?? "—"
            parts.append("\(target.name) \(state)")
        }
        if let error = report.sourceError { parts.append("source unreachable: \(error)") }
        if !report.problems.isEmpty { parts.append("\(report.problems.count) waiting") }
        return parts.joined(separator: " · ")
    }
}

/// The configuration in force, readable from the HTTP endpoint's tasks while the loop replaces it on reload.
final class CurrentConfiguration: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: DaemonConfiguration

    init(_ configuration: DaemonConfiguration) { stored = configuration }

    var value: DaemonConfiguration {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Runs its body the first time `run` is called, never again.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func run(_ body: () -> Void) {
        let first = lock.withLock {
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}

/// The tick in progress, cancellable from a signal handler or the shutdown handler. A cancellation between ticks
/// does nothing: the loop checks for a shutdown before each tick, and a reload is served before the next one.
final class CurrentTick: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<PromotionEngine.TickReport, Never>?

    func set(_ task: Task<PromotionEngine.TickReport, Never>?) {
        lock.withLock { self.task = task }
    }

    func cancel() {
        lock.withLock { task?.cancel() }
    }
}

/// The webhook notifier in force (replaced on reload).
actor Notifiers {
    private(set) var current: WebhookNotifier
    init(_ notifier: WebhookNotifier) { current = notifier }
    func replace(_ notifier: WebhookNotifier) { current = notifier }
}
