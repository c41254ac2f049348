import DirectusClient
import DirectusConfig
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// Reads and validates the YAML configuration. It collects every problem, each with its file, line and column; an
/// unknown key is an error with a "did you mean" suggestion; values are checked (URLs, durations, names, the
/// pipeline). Warnings (a world-readable file holding a secret) do not stop it.
public struct ConfigurationReader {
    public let file: String
    var problems: [ConfigurationProblem] = []
    /// Every environment's request timeout and tick budget unless it sets its own (the top-level `timeouts`).
    var defaults = DaemonConfiguration.Environment(name: "", url: "", credentials: .token(.environment("")))
    public internal(set) var warnings: [String] = []

    public init(file: String) { self.file = file }

    /// The largest configuration file read: a real one is a few kilobytes.
    public static let maximumFileSize = 1 << 20

    /// Reads the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> (DaemonConfiguration, warnings: [String]) {
        func refuse(_ reason: String) -> ConfigurationError {
            ConfigurationError(problems: [
                ConfigurationProblem(file: path, line: 1, column: 1, path: "", message: reason)
            ])
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
        if let size, size > maximumFileSize {
            throw refuse("the file is larger than 1 MiB (\(size) bytes); a configuration is a few kilobytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw refuse(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        guard data.count <= maximumFileSize else {
            throw refuse("the file is larger than 1 MiB; a configuration is a few kilobytes")
        }
        var reader = ConfigurationReader(file: path)
        let configuration = try reader.read(String(decoding: data, as: UTF8.self))
        var warnings = reader.warnings
        let inlineWebhookSecret = configuration.webhooks.contains {
            if case .inline = $0.secret { return true }
            return false
        }
        if configuration.environments.contains(where: \.credentials.isInline) || inlineWebhookSecret,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? Int, mode & 0o004 != 0
        {
            warnings.append(
                "\(path) holds a secret and is readable by every user (mode \(String(mode, radix: 8))): "
                    + "chmod 600 it, or use token_file/token_env")
        }
        return (configuration, warnings)
    }

    /// Reads configuration text.
    public mutating func read(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        var text = text
        // A byte-order mark, as some editors on Windows write one, is not content.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        if let deep = Self.excessiveNesting(text) {
            throw ConfigurationError(problems: [
                ConfigurationProblem(
                    file: file, line: deep.line, column: deep.column, path: "",
                    message: "nested more than \(Self.maximumNesting) levels deep; a configuration needs a handful")
            ])
        }
        let root: Node?
        do {
            // No tag resolution by Yams (regular expressions per scalar, through ICU): scalars are resolved here,
            // as js-yaml resolves them.
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw ConfigurationError(problems: [Self.problem(file: file, from: error)])
        } catch {
            throw ConfigurationError(problems: [
                ConfigurationProblem(file: file, line: 1, column: 1, path: "", message: "\(error)")
            ])
        }
        guard let root, case .mapping = root else {
            throw ConfigurationError(problems: [
                ConfigurationProblem(
                    file: file, line: root?.mark?.line ?? 1, column: root?.mark?.column ?? 1, path: "",
                    message: "the configuration must be a mapping with an `environments` list",
                    hint: "see config/directus-promoter.yaml")
            ])
        }
        var configuration = DaemonConfiguration(
            path: file, pollInterval: .seconds(60), pollJitter: 0.1,
            stateDirectory: DaemonConfiguration.defaultStateDirectory, logLevel: .info, connectTimeout: .seconds(10),
            environments: [])
        let keys = entries(root, path: "", allowed: ConfigurationKeys.children(of: ""))
        if let poll = keys["poll"] {
            let pollKeys = entries(poll, path: "poll", allowed: ConfigurationKeys.children(of: "poll"))
            if let node = pollKeys["interval"],
                let value = duration(
                    node, path: "poll.interval", minimum: .milliseconds(100), maximum: .seconds(86_400))
            {
                configuration.pollInterval = value
            }
            if let node = pollKeys["jitter"], let value = fraction(node, path: "poll.jitter") {
                configuration.pollJitter = value
            }
        }
        if let node = keys["state_directory"], let value = string(node, path: "state_directory") {
            if value.hasPrefix("/") {
                configuration.stateDirectory = value
            } else {
                report(node, "state_directory", "must be an absolute path")
            }
        }
        if let log = keys["log"] {
            let logKeys = entries(log, path: "log", allowed: ConfigurationKeys.children(of: "log"))
            if let node = logKeys["format"], let value = string(node, path: "log.format") {
                if let format = DaemonConfiguration.LogFormat(rawValue: value) {
                    configuration.logFormat = format
                } else {
                    report(node, "log.format", "must be text or json")
                }
            }
            if let node = logKeys["level"], let value = string(node, path: "log.level") {
                if let level = Logger.Level(rawValue: value.lowercased()) {
                    configuration.logLevel = level
                } else {
                    report(
                        node, "log.level", "is not a log level",
                        hint: suggestion(value, among: Logger.Level.allCases.map(\.rawValue))
                            ?? "one of trace, debug, info, notice, warning, error, critical")
                }
            }
        }
        if let timeouts = keys["timeouts"] {
            let timeoutKeys = entries(timeouts, path: "timeouts", allowed: ConfigurationKeys.children(of: "timeouts"))
            if let node = timeoutKeys["connect"],
                let value = duration(
                    node, path: "timeouts.connect", minimum: .milliseconds(100), maximum: .seconds(600))
            {
                configuration.connectTimeout = value
            }
            // `request` and `tick` here are every environment's default.
            var environmentDefaults = defaults
            readEnvironmentTimeouts(timeoutKeys, path: "timeouts", into: &environmentDefaults)
            defaults = environmentDefaults
        }
        if let drift = keys["drift"] {
            let driftKeys = entries(drift, path: "drift", allowed: ConfigurationKeys.children(of: "drift"))
            if let node = driftKeys["interval"],
                let value = duration(
                    node, path: "drift.interval", minimum: .milliseconds(100), maximum: .seconds(86_400))
            {
                configuration.driftInterval = value
            }
        }
        if let node = keys["webhooks"] {
            configuration.webhooks = readWebhooks(node)
        }
        configuration.configurationKinds = readPromotion(promote: keys["promote"], configuration: keys["configuration"])
        (configuration.contentRules, configuration.contentLimits) = readContent(
            promote: keys["promote"], content: keys["content"])
        if let node = keys["http"] {
            let httpKeys = entries(node, path: "http", allowed: ConfigurationKeys.children(of: "http"))
            if let listen = httpKeys["listen"], let text = string(listen, path: "http.listen") {
                if let endpoint = Self.parseListen(text) {
                    configuration.http = endpoint
                    if !["127.0.0.1", "::1", "localhost"].contains(endpoint.host) {
                        warnings.append(
                            "\(location(listen)): http.listen: serves metrics and status beyond this machine; "
                                + "put it behind a firewall or a proxy with authentication")
                    }
                } else {
                    report(listen, "http.listen", "is not host:port", hint: "for example 127.0.0.1:9464")
                }
            }
            if let decisions = httpKeys["decisions"] {
                let keys = entries(
                    decisions, path: "http.decisions", allowed: ConfigurationKeys.children(of: "http.decisions"))
                let file = keys["credentials_file"].flatMap { string($0, path: "http.decisions.credentials_file") }
                let env = keys["credentials_env"].flatMap { string($0, path: "http.decisions.credentials_env") }
                switch (file, env) {
                case (let file?, nil):
                    configuration.webDeciders = .file(file)
                    configuration.webDecidersPosition = position(
                        keys["credentials_file"]!, "http.decisions.credentials_file")
                case (nil, let env?):
                    configuration.webDeciders = .environment(env)
                    configuration.webDecidersPosition = position(
                        keys["credentials_env"]!, "http.decisions.credentials_env")
                case (.some, .some):
                    report(decisions, "http.decisions", "give only one of credentials_file and credentials_env")
                case (nil, nil):
                    report(
                        decisions, "http.decisions", "names no credentials",
                        hint: "credentials_file: a file of name:password lines (a systemd credential)")
                }
                if configuration.http == nil {
                    report(decisions, "http.decisions", "needs http.listen: the web view serves the decisions")
                }
            }
        }
        if let environments = keys["environments"] {
            configuration.environments = readEnvironments(environments)
        } else {
            report(
                root, "environments", "is required: the source and at least one target, in promotion order",
                hint: "see config/directus-promoter.yaml")
        }
        if !problems.isEmpty {
            throw ConfigurationError(problems: problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return configuration
    }

    static let targetOnlyKeys = ["approval", "approvals", "destructive", "system_indexes", "windows", "soak"]
}
