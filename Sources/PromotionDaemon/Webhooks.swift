import AsyncHTTPClient
import Crypto
import DirectusClient
import DirectusSchema
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PromotionStore

/// One webhook from the configuration.
public struct WebhookConfiguration: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// The documented, versioned JSON payload.
        case json
        /// `{"text": …}`: one readable paragraph, for Slack, Mattermost, Rocket.Chat and the like.
        case slack
    }

    /// The notifications a webhook can ask for.
    public enum Kind: String, Sendable, CaseIterable {
        case approvalNeeded = "approval_needed"
        case applied, failed, blocked
        case driftDetected = "drift_detected"
        case driftResolved = "drift_resolved"

        /// The notification an audit event gives, if any.
        public static func of(eventKind: String) -> Kind? {
            switch eventKind {
            case "promotion.awaiting_approval": .approvalNeeded
            case "promotion.applied": .applied
            case "promotion.failed": .failed
            case "promotion.blocked": .blocked
            case "drift.detected": .driftDetected
            case "drift.resolved", "drift.accepted": .driftResolved
            default: nil
            }
        }
    }

    /// Why `text` cannot be a webhook's address, or nil when it can: an absolute http or https URL with a host,
    /// without user information, at most 2,048 characters. Said without quoting the address (it may hold a token).
    public static func problem(withURL text: String) -> String? {
        guard text.utf8.count <= 2048 else { return "is longer than 2,048 characters" }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return "is not an http or https URL" }
        guard let host = url.host, !host.isEmpty else { return "has no host" }
        if url.user != nil || url.password != nil { return "must not hold a user name or password" }
        return nil
    }

    public var name: String
    /// The URL, or where to read it (a Slack URL is itself a secret).
    public var url: Secret.Source
    public var format: Format
    public var kinds: Set<Kind>
    /// Signs each body (HMAC-SHA256) when set.
    public var secret: Secret.Source?
    /// Where the address and the secret are named in the configuration file, when read from one.
    public var urlPosition: ConfigurationPosition?
    public var secretPosition: ConfigurationPosition?

    public init(
        name: String, url: Secret.Source, format: Format = .json, kinds: Set<Kind> = Set(Kind.allCases),
        secret: Secret.Source? = nil
    ) {
        self.name = name
        self.url = url
        self.format = format
        self.kinds = kinds
        self.secret = secret
    }
}

/// Delivers notifications: reads new audit events into a queue in the store (so they survive restarts), and sends
/// the due ones, each once when it succeeds, retried with backoff when it does not, never blocking promotions.
public actor WebhookNotifier {
    struct Target {
        var configuration: WebhookConfiguration
        var url: String
        var secret: Secret?
    }

    let targets: [Target]
    let store: Store
    let httpClient: HTTPClient
    let now: @Sendable () -> Date
    let logger: Logger
    let configuration: DaemonConfiguration?

    /// Attempts before a delivery is given up (and shown as failed in `status`).
    public static let maxAttempts = 12

    /// The longest one delivery may take, the receiver's answer included.
    static let timeout: Duration = .seconds(10)

    /// Resolves every webhook's URL and secret now; a secret that cannot be read fails here, naming the webhook.
    public init(
        webhooks: [WebhookConfiguration], store: Store, httpClient: HTTPClient,
        configuration: DaemonConfiguration? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "directus-promoter.webhooks")
    ) throws {
        var targets: [Target] = []
        for webhook in webhooks {
            do {
                let url = try Secret.resolve(webhook.url, environment: environment).value
                if let problem = WebhookConfiguration.problem(withURL: url) {
                    throw DaemonApp.SetupError(
                        description: "webhook \(webhook.name): the address from \(webhook.url) \(problem)")
                }
                let secret = try webhook.secret.map { try Secret.resolve($0, environment: environment) }
                targets.append(Target(configuration: webhook, url: url, secret: secret))
            } catch let error as DaemonApp.SetupError {
                throw error
            } catch {
                throw DaemonApp.SetupError(description: "webhook \(webhook.name): \(error)")
            }
        }
        self.targets = targets
        self.store = store
        self.httpClient = httpClient
        self.configuration = configuration
        self.now = now
        self.logger = logger
    }

    public var isEmpty: Bool { targets.isEmpty }

    /// Queues what is new and sends what is due. Returns how many deliveries succeeded.
    @discardableResult
    public func runOnce() async -> Int {
        var delivered = 0
        for target in targets {
            do {
                try store.enqueueDeliveries(webhook: target.configuration.name, at: now()) { event in
                    guard let kind = WebhookConfiguration.Kind.of(eventKind: event.kind),
                        target.configuration.kinds.contains(kind)
                    else { return nil }
                    return kind.rawValue
                }
            } catch {
                logger.error("webhook \(target.configuration.name): cannot queue notifications: \(error)")
            }
        }
        let due: [(DeliveryRecord, EventRecord)]
        do {
            due = try store.dueDeliveries(at: now())
        } catch {
            logger.error("webhooks: cannot read the delivery queue: \(error)")
            return 0
        }
        for (delivery, event) in due {
            guard let target = targets.first(where: { $0.configuration.name == delivery.webhook }) else { continue }
            if await send(delivery, event, to: target) { delivered += 1 }
        }
        return delivered
    }

    /// One attempt. Returns whether it was delivered.
    func send(_ delivery: DeliveryRecord, _ event: EventRecord, to target: Target) async -> Bool {
        let body = payload(delivery, event, format: target.configuration.format)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "directus-promoter/\(DaemonConfiguration.version)")
        request.headers.add(name: "X-Directus-Promoter-Event", value: delivery.kind)
        request.headers.add(name: "X-Directus-Promoter-Delivery", value: "\(delivery.id)")
        if let secret = target.secret {
            request.headers.add(name: "X-Directus-Promoter-Signature-256", value: Self.signature(body, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        // One deadline over the whole exchange, answer body included (at most 64 KiB of it is read); the client
        // follows no redirect, so a signed body never goes anywhere but the configured address.
        let httpClient = self.httpClient
        let prepared = request
        let outcome = await Deadline.run(within: Self.timeout) { () -> String? in
            do {
                let response = try await httpClient.execute(prepared, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (300..<400).contains(response.status.code) {
                    return "the receiver answered \(response.status.code), a redirect, which is not followed"
                }
                return (200..<300).contains(response.status.code)
                    ? nil : "the receiver answered \(response.status.code)"
            } catch {
                // Never the URL: it may hold a token.
                return "cannot deliver: \(Self.describe(error))"
            }
        }
        let failure: String?
        switch outcome {
        case .finished(let result): failure = result
        case .timedOut: failure = "the receiver did not answer within \(Int(Self.timeout.seconds)) s"
        case .cancelled: return false
        }
        let at = now()
        let attempts = delivery.attempts + 1
        let next: Date? =
            failure == nil || attempts >= Self.maxAttempts
            ? nil : at.addingTimeInterval(Self.backoff(afterAttempt: attempts))
        do {
            try store.recordDeliveryAttempt(
                id: delivery.id, delivered: failure == nil, error: failure, nextAttempt: next, at: at)
        } catch {
            logger.error("webhook \(target.configuration.name): cannot record a delivery: \(error)")
        }
        if let failure {
            logger.warning(
                "webhook \(target.configuration.name): \(failure)\(next == nil ? "; giving up" : "; will retry")",
                metadata: ["delivery": "\(delivery.id)", "attempt": "\(attempts)"])
        }
        return failure == nil
    }

    /// 5 s, 10 s, 20 s, … up to an hour.
    public static func backoff(afterAttempt attempt: Int) -> TimeInterval {
        min(3600, 5 * pow(2, Double(max(0, attempt - 1))))
    }

    /// `sha256=` and the hex HMAC-SHA256 of the body, as GitHub signs its webhooks.
    public static func signature(_ body: [UInt8], secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.value.utf8)))
        return "sha256=" + mac.hexString
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return "\(type(of: error))"
    }

    /// The body: the versioned JSON payload, or one Slack paragraph.
    func payload(_ delivery: DeliveryRecord, _ event: EventRecord, format: WebhookConfiguration.Format) -> [UInt8] {
        let promotion = event.promotionID.flatMap { try? store.promotion(id: $0) }
        let view = promotion.flatMap { try? PromotionView($0, store: store, configuration: configuration) }
        switch format {
        case .json:
            let value: JSONValue = [
                "version": 1, "kind": .string(delivery.kind), "event_id": .number(JSONNumber(Int(event.id))),
                "at": .string(PromotionView.timestamp(event.at)),
                "environment": event.environment.map(JSONValue.string) ?? .null,
                "actor": .string(event.actor), "message": .string(event.message),
                "promotion": view.map(\.json) ?? .null,
                "destructive": .bool((view?.diff?.destructive ?? 0) > 0),
                "error": promotion?.lastError.map(JSONValue.string) ?? .null,
            ]
            return JSONWriter().bytes(value)
        case .slack:
            var text = "*directus-promoter* · \(event.environment ?? "pipeline"): \(event.message)"
            if let promotion, delivery.kind == WebhookConfiguration.Kind.approvalNeeded.rawValue {
                text +=
                    "\nReview with `directus-promoter show \(promotion.id)`, then `directus-promoter approve "
                    + "\(promotion.id)` or `reject \(promotion.id)`."
            }
            return JSONWriter().bytes(["text": .string(text)])
        }
    }
}
