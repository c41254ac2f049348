import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionCore
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The promotion loop as a `Service`: ticks the engine on the poll schedule (`PollSchedule`, on an injected clock),
/// reloads the configuration on SIGHUP (a bad one is refused and the running one kept), ticks at once on SIGUSR1,
/// and talks to systemd. A shutdown or a reload cancels the tick in progress (an apply already sent is waited for),
/// so neither waits for a slow instance. With `maxTicks` (the `poll` command) it stops on its own after them.
public final class PromotionLoop: Service, Sendable {
    let configurationPath: String
    let store: Store
    let httpClient: HTTPClient
    let notifier: SystemdNotifier
    let logger: Logger
    let now: @Sendable () -> Date
    let clock: any Clock<Duration>
    let maxTicks: Int?
    let trapsSignals: Bool
    let shared: DaemonApp.Shared
    let reports: ReportBox

    init(
        configurationPath: String, store: Store, httpClient: HTTPClient, notifier: SystemdNotifier, logger: Logger,
        now: @escaping @Sendable () -> Date, clock: any Clock<Duration>, maxTicks: Int?, trapsSignals: Bool,
        shared: DaemonApp.Shared
    ) {
        self.configurationPath = configurationPath
        self.store = store
        self.httpClient = httpClient
        self.notifier = notifier
        self.logger = logger
        self.now = now
        self.clock = clock
        self.maxTicks = maxTicks
        self.trapsSignals = trapsSignals
        self.shared = shared
        self.reports = ReportBox()
    }

    /// The report of the last tick run (for `poll`).
    public var lastReport: PromotionEngine.TickReport? { reports.value }

    /// Why the loop woke up.
    enum Wake: Sendable {
        case timer(Int)
        case reload
        /// SIGUSR1: a decision was recorded; tick now.
        case poke
    }

    public func run() async throws {
        var configuration = shared.configuration.value
        var engine = try DaemonApp.makeEngine(
            configuration, store: store, httpClient: httpClient, logger: logger, now: now, metrics: shared.metrics)
        let (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(8))
        let ticking = CurrentTick()
        await withTaskGroup(of: Void.self) { group in
            if trapsSignals {
                let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1)
                group.addTask {
                    for await signal in signals.cancelOnGracefulShutdown() {
                        if signal == .sighup { ticking.cancel() }
                        wake.yield(signal == .sighup ? .reload : .poke)
                    }
                }
            }
            // STOPPING=1 goes out as soon as the shutdown is asked for (the step in progress, an apply say, may take
            // a while yet), or when the loop ends on its own; once either way.
            let stopping = Once()
            let announceStopping = { @Sendable [notifier] in
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
                    reports.value = report
                    ticks += 1
                    let status = Self.statusLine(store: store, configuration: configuration, report: report)
                    if ready {
                        notifier.status(status)
                    } else {
                        notifier.ready(status: status)
                        ready = true
                    }
                    if let maxTicks, ticks >= maxTicks { break }
                    // Wait for the next poll (or sooner, when the tick asked to be woken), a poke or a reload.
                    generation += 1
                    let delay = PollSchedule(interval: configuration.pollInterval, jitter: configuration.pollJitter)
                        .delay(random: Double.random(in: 0...1), nextWake: report.nextWake, now: now())
                    let timer = Task { [generation, clock] in
                        try? await clock.sleep(for: delay)
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
                        notifier.reloading()
                        if let reloaded = reload(current: configuration) {
                            await reloaded.engine.takeOver(await engine.carried)
                            configuration = reloaded.configuration
                            engine = reloaded.engine
                            shared.configuration.value = configuration
                            await shared.webhooks.replace(reloaded.webhooks)
                        }
                        notifier.ready(status: "configuration reloaded")
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
            let engine = try DaemonApp.makeEngine(
                configuration, store: store, httpClient: httpClient, logger: logger, now: now, metrics: shared.metrics)
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

    /// One line for systemd's STATUS=: the newest revision and where each target is with it.
    static func statusLine(
        store: Store, configuration: DaemonConfiguration, report: PromotionEngine.TickReport
    ) -> String {
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

/// The last tick's report.
final class ReportBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: PromotionEngine.TickReport?
    var value: PromotionEngine.TickReport? {
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
