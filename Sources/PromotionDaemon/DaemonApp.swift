import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The daemon's service graph, built in one place (as Hummingbird's template builds its application) for `run`,
/// `poll`, `demo`, the benchmarks and the tests alike: the promotion loop, webhook delivery, the status server
/// and the watchdog, each a `Service`, in one `ServiceGroup` with graceful-shutdown limits.
public enum DaemonApp {
    /// What the services share: the configuration in force (replaced on reload), the webhook notifier in force,
    /// the metrics.
    public final class Shared: Sendable {
        public let configuration: CurrentConfiguration
        let webhooks: Notifiers
        public let metrics: DaemonMetrics

        init(configuration: DaemonConfiguration, webhooks: WebhookNotifier, metrics: DaemonMetrics) {
            self.configuration = CurrentConfiguration(configuration)
            self.webhooks = Notifiers(webhooks)
            self.metrics = metrics
        }
    }

    /// How the services run.
    public struct Options: Sendable {
        /// Stop after this many ticks (`poll`: 1); nil: until shut down.
        public var maxTicks: Int?
        /// Trap SIGHUP (reload) and SIGUSR1 (tick now): the daemon's; not for a process hosting it for a while.
        public var trapsSignals: Bool
        /// The signals that shut the group down gracefully.
        public var shutdownSignals: [UnixSignal]
        /// The clock the loop waits on (tests pass their own).
        public var clock: any Clock<Duration>
        public var now: @Sendable () -> Date
        public var notifier: SystemdNotifier
        /// The longest a graceful shutdown may take (an apply in flight is waited for), then the longest the
        /// cancellation after it may take.
        public var maximumGracefulShutdown: Duration
        public var maximumCancellation: Duration
        /// Called with the status server's address once it listens.
        public var onListening: @Sendable (String) -> Void

        public init(
            maxTicks: Int? = nil, trapsSignals: Bool = true, shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
            clock: any Clock<Duration> = ContinuousClock(), now: @escaping @Sendable () -> Date = { Date() },
            notifier: SystemdNotifier = SystemdNotifier(), maximumGracefulShutdown: Duration = .seconds(140),
            maximumCancellation: Duration = .seconds(5), onListening: @escaping @Sendable (String) -> Void = { _ in }
        ) {
            self.maxTicks = maxTicks
            self.trapsSignals = trapsSignals
            self.shutdownSignals = shutdownSignals
            self.clock = clock
            self.now = now
            self.notifier = notifier
            self.maximumGracefulShutdown = maximumGracefulShutdown
            self.maximumCancellation = maximumCancellation
            self.onListening = onListening
        }
    }

    /// The built daemon: its group to run, and the loop (for the last tick's report).
    public struct Built: Sendable {
        public let group: ServiceGroup
        public let loop: PromotionLoop
        public let shared: Shared
    }

    /// Builds the service graph for `configuration`. Every secret is read here: one that cannot be read throws
    /// (naming the environment or webhook and where it was looked for), before anything runs.
    public static func build(
        configurationPath: String, configuration: DaemonConfiguration, store: Store, http: HTTPClient, logger: Logger,
        options: Options = Options()
    ) throws -> Built {
        let webhooks = try WebhookNotifier(
            webhooks: configuration.webhooks, store: store, httpClient: http, configuration: configuration,
            now: options.now, logger: logger)
        // Checked now, so a bad secret stops the start rather than the first tick.
        _ = try makeEngine(configuration, store: store, httpClient: http, logger: logger, now: options.now)
        let shared = Shared(configuration: configuration, webhooks: webhooks, metrics: DaemonMetrics())
        let loop = PromotionLoop(
            configurationPath: configurationPath, store: store, httpClient: http, notifier: options.notifier,
            logger: logger, now: options.now, clock: options.clock, maxTicks: options.maxTicks,
            trapsSignals: options.trapsSignals, shared: shared)
        // A group shuts its services down in reverse order: the loop first (nothing new starts), then the watchdog,
        // then webhook delivery (which sends what is due once more), then the status server.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let endpoint = configuration.http {
            let server = StatusServer(
                host: endpoint.host, port: endpoint.port,
                handler: StatusServer.daemonHandler(
                    store: store, configuration: { shared.configuration.value }, metrics: shared.metrics,
                    web: WebView(store: store, deciders: { shared.configuration.deciders }, now: options.now),
                    now: options.now))
            services.append(
                .init(
                    service: StatusService(server: server, logger: logger, onListening: options.onListening),
                    successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        services.append(
            .init(service: WebhookDelivery(shared: shared, clock: options.clock), successTerminationBehavior: .ignore))
        if let interval = options.notifier.watchdogInterval {
            services.append(
                .init(
                    service: Watchdog(notifier: options.notifier, interval: interval, clock: options.clock),
                    successTerminationBehavior: .ignore))
        }
        services.append(.init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: options.shutdownSignals, cancellationSignals: [],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = options.maximumGracefulShutdown
        groupConfiguration.maximumCancellationDuration = options.maximumCancellation
        return Built(group: ServiceGroup(configuration: groupConfiguration), loop: loop, shared: shared)
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

    /// A service that cannot be built from the configuration (a secret that cannot be read).
    public struct SetupError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }
}
