import CoreMetrics
import DirectusClient
import Foundation
import Metrics
import Prometheus
import PromotionCore
import PromotionStore

/// The daemon's metrics, through swift-metrics with a Prometheus registry of its own (no global bootstrap, so
/// several daemons, or tests, can live in one process). Counters and timers are fed as things happen; gauges
/// about the state (promotions by state, drift, time since the last successful poll) are read from the store when
/// `/metrics` is scraped, so they are never stale.
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30),
        ]
        self.factory = factory
    }

    /// One poll of an environment's schema: its duration, and the kind of error when it failed.
    public func poll(environment: String, duration: Duration, error: DirectusClientError?) {
        Counter(
            label: "directus_promoter_polls_total",
            dimensions: [("environment", environment), ("outcome", error == nil ? "ok" : "error")], factory: factory
        ).increment()
        Metrics.Timer(
            label: "directus_promoter_poll_duration_seconds", dimensions: [("environment", environment)],
            factory: factory
        ).recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if let error {
            Counter(
                label: "directus_promoter_errors_total",
                dimensions: [("environment", environment), ("kind", Self.kind(of: error))], factory: factory
            ).increment()
        }
    }

    /// A configuration phase's writes on a target: sent, and undone by compensation.
    public func configurationWrites(environment: String, written: Int, undone: Int, failed: Bool) {
        writes(prefix: "config", environment: environment, written: written, undone: undone, failed: failed)
    }

    /// The reference-data phase of an apply: its requests, and when it failed, how many compensations were made.
    public func contentWrites(environment: String, written: Int, undone: Int, failed: Bool) {
        writes(prefix: "content", environment: environment, written: written, undone: undone, failed: failed)
    }

    private func writes(prefix: String, environment: String, written: Int, undone: Int, failed: Bool) {
        Counter(
            label: "directus_promoter_\(prefix)_writes_total", dimensions: [("environment", environment)],
            factory: factory
        ).increment(by: Int64(written))
        if failed {
            Counter(
                label: "directus_promoter_\(prefix)_apply_failures_total", dimensions: [("environment", environment)],
                factory: factory
            ).increment()
            Counter(
                label: "directus_promoter_\(prefix)_writes_undone_total", dimensions: [("environment", environment)],
                factory: factory
            ).increment(by: Int64(undone))
        }
    }

    /// A snapshot's size as received.
    public func snapshotSize(environment: String, bytes: Int) {
        Gauge(label: "directus_promoter_snapshot_bytes", dimensions: [("environment", environment)], factory: factory)
            .record(bytes)
    }

    /// Reads the state gauges from the store.
    public func refresh(store: Store, configuration: DaemonConfiguration, now: Date) {
        if let counts = try? store.promotionCounts() {
            for state in PromotionStateMachine.State.allCases {
                Gauge(
                    label: "directus_promoter_promotions", dimensions: [("state", state.rawValue)], factory: factory
                ).record(counts[state] ?? 0)
            }
            Gauge(label: "directus_promoter_pending_approvals", dimensions: [], factory: factory)
                .record(counts[.awaitingApproval] ?? 0)
        }
        for (index, environment) in configuration.environments.enumerated() {
            if index > 0 {
                let drifted =
                    (try? store.drift(environment: environment.name)) != nil
                    || (try? store.configDrift(environment: environment.name)) != nil
                    || (try? store.contentDrift(environment: environment.name)) != nil
                Gauge(
                    label: "directus_promoter_drift", dimensions: [("environment", environment.name)],
                    factory: factory
                ).record(drifted ? 1 : 0)
            }
            if let last = try? store.latestSuccessfulObservation(environment: environment.name) {
                Gauge(
                    label: "directus_promoter_seconds_since_last_successful_poll",
                    dimensions: [("environment", environment.name)], factory: factory
                ).record(max(0, now.timeIntervalSince(last.observedAt)))
            }
        }
        if let deliveries = try? store.deliveryCounts() {
            for status in ["pending", "delivered", "failed"] {
                Gauge(
                    label: "directus_promoter_webhook_deliveries", dimensions: [("status", status)], factory: factory
                ).record(deliveries[status] ?? 0)
            }
        }
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }

    static func kind(of error: DirectusClientError) -> String {
        switch error {
        case .unreachable: "unreachable"
        case .timeout: "timeout"
        case .budgetExhausted: "budget_exhausted"
        case .cancelled: "cancelled"
        case .redirected: "redirected"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .payloadRejected: "payload_rejected"
        case .versionMismatch: "version_mismatch"
        case .vendorMismatch: "vendor_mismatch"
        case .staleHash: "stale_hash"
        case .conflict: "conflict"
        case .applyFailed: "apply_failed"
        case .applyOutcomeUnknown: "apply_outcome_unknown"
        case .serverError: "server_error"
        case .rateLimited: "rate_limited"
        case .responseTooLarge: "response_too_large"
        case .uploadTooLarge: "upload_too_large"
        case .malformedResponse: "malformed_response"
        }
    }
}
