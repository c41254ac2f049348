import DirectusClient
import DirectusConfig
import DirectusContent
import Foundation
import Logging
import PromotionCore

/// The daemon's configuration file: how often to poll, where the state lives, how to log, and the environments in
/// promotion order. Read by `ConfigurationReader`, which reports every problem with its file, line and column.
public struct DaemonConfiguration: Sendable {
    /// Where the configuration was read from (for messages).
    public var path: String
    /// How often the source is polled.
    public var pollInterval: Duration
    /// Each wait is lengthened by a random share up to this fraction of the interval (spreads several daemons).
    public var pollJitter: Double
    /// The state database and the lock live here.
    public var stateDirectory: String
    public var logLevel: Logger.Level
    /// How log records are written: `text` (one readable line) or `json` (one object per line, for log shippers).
    public var logFormat: LogFormat = .text
    /// How often targets are checked for drift (their schema polled) when nothing else asks for them; the source is
    /// polled every `pollInterval`.
    public var driftInterval: Duration = .seconds(300)
    /// How long to wait for a TCP/TLS connection (one HTTP client serves every environment).
    public var connectTimeout: Duration
    /// The source first, then the targets in promotion order.
    public var environments: [Environment]
    /// Where notifications go.
    public var webhooks: [WebhookConfiguration] = []
    /// The configuration collections promoted with the schema (`promote: [schema, configuration]` and
    /// `configuration.collections`); empty: the schema alone.
    public var configurationKinds: [ConfigKind] = []
    /// The reference-data collections promoted with the schema, and their limits.
    public var contentRules: [ContentRule] = []
    public var contentLimits = ContentLimits()
    /// The HTTP endpoint (`/metrics`, `/healthz`, `/status` and the web view); nil: off.
    public var http: HTTPEndpoint?
    /// Who may approve and reject in the web view: `name:password` lines (`http.decisions`); nil: read-only.
    public var webDeciders: Secret.Source?
    /// Where `http.decisions` names its secret, for problems reading it.
    public var webDecidersPosition: ConfigurationPosition?

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    /// `host:port` for the read-only HTTP endpoint.
    public struct HTTPEndpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public static let version = "0.1.0"

    public init(
        path: String, pollInterval: Duration = .seconds(60), pollJitter: Double = 0.1,
        stateDirectory: String = Self.defaultStateDirectory, logLevel: Logger.Level = .info,
        connectTimeout: Duration = .seconds(10), environments: [Environment]
    ) {
        self.path = path
        self.pollInterval = pollInterval
        self.pollJitter = pollJitter
        self.stateDirectory = stateDirectory
        self.logLevel = logLevel
        self.connectTimeout = connectTimeout
        self.environments = environments
    }

    /// One Directus instance.
    public struct Environment: Sendable {
        public var name: String
        public var url: String
        public var credentials: Credentials
        public var requestTimeout: Duration
        public var retry: DirectusEndpoint.RetryPolicy
        public var tls: DirectusEndpoint.TLS
        public var maxSnapshotBytes: Int
        public var multipartThreshold: Int
        public var force: Bool
        public var approval: ApprovalPolicy
        public var destructive: DestructivePolicy
        public var ignore: IgnoreRules
        public var manageSystemIndexes: Bool
        public var windows: [PromotionWindow]
        public var soak: Duration
        /// The most time this environment's requests may take in one tick (`timeouts.tick`; nil: three request
        /// timeouts).
        public var tickBudget: Duration?
        /// Follow same-host redirects of GET requests (`follow_redirects`).
        public var followRedirects: Bool
        /// Where the credentials' secret is named in the file, for problems reading it.
        public var credentialsPosition: ConfigurationPosition?

        public init(name: String, url: String, credentials: Credentials) {
            self.name = name
            self.url = url
            self.credentials = credentials
            requestTimeout = .seconds(60)
            retry = DirectusEndpoint.RetryPolicy()
            tls = DirectusEndpoint.TLS()
            maxSnapshotBytes = 256 << 20
            multipartThreshold = 900_000
            force = false
            approval = .automatic
            destructive = .allow
            ignore = IgnoreRules()
            manageSystemIndexes = false
            windows = []
            soak = .zero
            tickBudget = nil
            followRedirects = false
        }
    }

    /// How an environment authenticates; each secret is named by where to read it, and read only when needed.
    public enum Credentials: Sendable, Equatable {
        case token(Secret.Source)
        case login(email: String, password: Secret.Source)

        /// Whether the secret is written in the configuration file itself.
        public var isInline: Bool {
            switch self {
            case .token(.inline), .login(_, .inline): true
            default: false
            }
        }
    }

    public static let defaultStateDirectory = "/var/lib/directus-promoter"

    public var source: Environment { environments[0] }
    public var targets: ArraySlice<Environment> { environments.dropFirst() }

    public var pipeline: Pipeline {
        get throws { try Pipeline(source: source.name, targets: targets.map(\.name)) }
    }

    public var databasePath: String { (stateDirectory as NSString).appendingPathComponent("state.sqlite") }

    /// How many request timeouts an environment's requests may take in one tick unless `timeouts.tick` says: three
    /// for the schema (snapshot, diff, apply), and one more per configuration or reference-data collection promoted
    /// (each is read at every step of a promotion).
    public var defaultTickRequests: Int { 3 + configurationKinds.count + contentRules.count }

    /// What the engine needs: the pipeline and each environment's policies.
    public func engineConfiguration() throws -> EngineConfiguration {
        var engine = EngineConfiguration(
            pipeline: try pipeline, driftInterval: driftInterval,
            environments: environments.map {
                EnvironmentSettings(
                    name: $0.name, url: $0.url, force: $0.force, policy: $0.approval, destructive: $0.destructive,
                    ignore: $0.ignore, manageSystemIndexes: $0.manageSystemIndexes, windows: $0.windows,
                    soak: $0.soak, tickBudget: $0.tickBudget ?? $0.requestTimeout * defaultTickRequests)
            })
        engine.configurationKinds = configurationKinds
        engine.contentRules = contentRules
        engine.contentLimits = contentLimits
        return engine
    }

    /// Every secret the configuration names, read now: one line per secret that cannot be read (at its
    /// file:line:column and key path, saying where the secret was looked for, never a value), and per webhook
    /// address that is not an http or https URL. `run` refuses to start (exit 78) and `check-config` fails on any of them.
    public func secretProblems(
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        func at(_ position: ConfigurationPosition?, _ fallback: String) -> String {
            position.map(\.description) ?? "\(path): \(fallback)"
        }
        var problems: [String] = []
        for environment in environments {
            do {
                _ = try endpoint(for: environment, processEnvironment: processEnvironment)
            } catch {
                problems.append("\(at(environment.credentialsPosition, "environment \(environment.name)")): \(error)")
            }
        }
        do {
            _ = try deciders(processEnvironment: processEnvironment)
        } catch {
            problems.append("\(at(webDecidersPosition, "http.decisions")): \(error)")
        }
        for webhook in webhooks {
            do {
                let url = try Secret.resolve(webhook.url, environment: processEnvironment)
                if let problem = WebhookConfiguration.problem(withURL: url.value) {
                    problems.append(
                        "\(at(webhook.urlPosition, "webhook \(webhook.name)")): the address from \(webhook.url) \(problem)"
                    )
                }
            } catch {
                problems.append("\(at(webhook.urlPosition, "webhook \(webhook.name)")): \(error)")
            }
            do {
                if let secret = webhook.secret { _ = try Secret.resolve(secret, environment: processEnvironment) }
            } catch {
                problems.append("\(at(webhook.secretPosition, "webhook \(webhook.name)")): \(error)")
            }
        }
        return problems
    }

    /// Who may decide in the web view, read now from `http.decisions`: one `name:password` per line (blank lines and
    /// `#` comments skipped). Nil when decisions are not configured.
    public func deciders(
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(Secret.ResolutionError) -> [String: Secret]? {
        guard let source = webDeciders else { return nil }
        let secret = try Secret.resolve(source, environment: processEnvironment)
        var deciders: [String: Secret] = [:]
        for (number, line) in secret.value.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
                throw Secret.ResolutionError(
                    source: source, reason: "line \(number + 1) is not name:password")
            }
            let name = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }), name.count <= 64 else {
                throw Secret.ResolutionError(
                    source: source, reason: "line \(number + 1): a name has letters, digits and . _ - @ only")
            }
            guard password.utf8.count >= 12 else {
                throw Secret.ResolutionError(
                    source: source, reason: "line \(number + 1): the password of \(name) is shorter than 12 characters")
            }
            deciders[name] = Secret(password)
        }
        guard !deciders.isEmpty else { throw Secret.ResolutionError(source: source, reason: "it names nobody") }
        return deciders
    }

    /// The client endpoint of an environment, with its secret read from its source now.
    public func endpoint(
        for environment: Environment, processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(Secret.ResolutionError) -> DirectusEndpoint {
        let authentication: DirectusEndpoint.Authentication =
            switch environment.credentials {
            case .token(let source): .staticToken(try Secret.resolve(source, environment: processEnvironment))
            case .login(let email, let password):
                .credentials(email: email, password: try Secret.resolve(password, environment: processEnvironment))
            }
        return DirectusEndpoint(
            url: environment.url, authentication: authentication, requestTimeout: environment.requestTimeout,
            tls: environment.tls, retry: environment.retry, maxSnapshotBytes: environment.maxSnapshotBytes,
            multipartThreshold: environment.multipartThreshold, followRedirects: environment.followRedirects)
    }
}
