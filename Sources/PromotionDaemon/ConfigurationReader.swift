import DirectusClient
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// One problem in a configuration file, with where it is and, when there is one, a hint.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// The key path, e.g. `environments[2].url`.
    public var path: String
    public var message: String
    public var hint: String?

    public var description: String {
        "\(file):\(line):\(column): \(path.isEmpty ? "" : "\(path): ")\(message)" + (hint.map { " (\($0))" } ?? "")
    }
}

/// Where a value is in a configuration file, and its key path: `config.yaml:12:16: environments[1].token_file`.
public struct ConfigurationPosition: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var path: String
    public var description: String { "\(file):\(line):\(column): \(path)" }
}

/// Every problem found in a configuration file (reading stops at none of them). Printed, it lists the first 50 and
/// says how many more there are. No problem quotes the file's content: a message names the key path, the line and
/// the column, and what is expected.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]
    /// How many problems are printed at most.
    public static let shown = 50

    public var description: String {
        var lines = problems.prefix(Self.shown).map(\.description)
        if problems.count > Self.shown { lines.append("and \(problems.count - Self.shown) more") }
        return lines.joined(separator: "\n")
    }
}

/// Reads and validates the YAML configuration. It collects every problem, each with its file, line and column; an
/// unknown key is an error with a "did you mean" suggestion; values are checked (URLs, durations, names, the
/// pipeline). Warnings (a world-readable file holding a secret) do not stop it.
public struct ConfigurationReader {
    public let file: String
    var problems: [ConfigurationProblem] = []
    /// Every environment's request timeout and tick budget unless it sets its own (the top-level `timeouts`).
    var defaults = DaemonConfiguration.Environment(name: "", url: "", credentials: .token(.environment("")))
    public private(set) var warnings: [String] = []

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
        let keys = entries(root, path: "", allowed: Self.topLevelKeys)
        if let poll = keys["poll"] {
            let pollKeys = entries(poll, path: "poll", allowed: ["interval", "jitter"])
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
            let logKeys = entries(log, path: "log", allowed: ["level"])
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
            let timeoutKeys = entries(timeouts, path: "timeouts", allowed: Self.timeoutKeys)
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
        if let node = keys["webhooks"] {
            configuration.webhooks = readWebhooks(node)
        }
        if let node = keys["http"] {
            let httpKeys = entries(node, path: "http", allowed: ["listen"])
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

    static let topLevelKeys = ["poll", "state_directory", "log", "timeouts", "environments", "webhooks", "http"]
    static let timeoutKeys = ["connect", "request", "tick"]
    static let environmentKeys = [
        "name", "url", "token", "token_env", "token_file", "email", "password", "password_env", "password_file",
        "timeouts", "retry", "limits", "tls", "force", "approval", "approvals", "destructive", "ignore",
        "system_indexes", "windows", "soak", "follow_redirects",
    ]
    static let targetOnlyKeys = ["approval", "approvals", "destructive", "system_indexes", "windows", "soak"]

    // MARK: Environments

    mutating func readEnvironments(_ node: Node) -> [DaemonConfiguration.Environment] {
        guard case .sequence(let sequence) = node else {
            report(node, "environments", "must be a list of environments, the source first")
            return []
        }
        var environments: [DaemonConfiguration.Environment] = []
        var seen: [String: Int] = [:]
        for (index, element) in sequence.enumerated() {
            let path = "environments[\(index)]"
            guard let environment = readEnvironment(element, path: path, index: index) else { continue }
            if let first = seen[environment.name] {
                report(
                    element, "\(path).name", "is already the name of environments[\(first)]")
            }
            seen[environment.name] = index
            environments.append(environment)
        }
        if sequence.count < 2 {
            report(
                node, "environments",
                "needs a source and at least one target (found \(sequence.count) environment\(sequence.count == 1 ? "" : "s"))"
            )
        }
        return environments
    }

    mutating func readEnvironment(_ node: Node, path: String, index: Int) -> DaemonConfiguration.Environment? {
        let keys = entries(node, path: path, allowed: Self.environmentKeys)
        guard case .mapping = node else { return nil }
        var name = ""
        if let nameNode = keys["name"], let value = string(nameNode, path: "\(path).name") {
            if value.range(of: "^[a-z][a-z0-9_-]{0,39}$", options: .regularExpression) == nil {
                report(
                    nameNode, "\(path).name", "is not a valid name",
                    hint: "lower-case letters, digits, - and _, starting with a letter")
            }
            name = value
        } else if keys["name"] == nil {
            report(node, "\(path).name", "is required")
        }
        var url = ""
        if let urlNode = keys["url"], let value = string(urlNode, path: "\(path).url") {
            if let parsed = URL(string: value), let scheme = parsed.scheme?.lowercased(),
                scheme == "http" || scheme == "https", parsed.host?.isEmpty == false
            {
                if parsed.user != nil || parsed.password != nil {
                    report(urlNode, "\(path).url", "must not hold credentials", hint: "use token_file or token_env")
                }
                url = value
            } else {
                report(urlNode, "\(path).url", "not a valid URL", hint: "for example https://cms.example.com")
            }
        } else if keys["url"] == nil {
            report(node, "\(path).url", "is required")
        }
        let credentials = readCredentials(keys, node: node, path: path)
        var environment = DaemonConfiguration.Environment(
            name: name, url: url, credentials: credentials?.credentials ?? .token(.environment("")))
        environment.credentialsPosition = credentials?.position
        environment.approval = index == 0 ? .automatic : ApprovalPolicy.defaultPolicy(forTargetAt: index - 1)
        environment.requestTimeout = defaults.requestTimeout
        environment.tickBudget = defaults.tickBudget
        if let timeouts = keys["timeouts"] {
            let timeoutKeys = entries(timeouts, path: "\(path).timeouts", allowed: ["request", "tick"])
            readEnvironmentTimeouts(timeoutKeys, path: "\(path).timeouts", into: &environment)
        }
        if let node = keys["follow_redirects"], let value = bool(node, path: "\(path).follow_redirects") {
            environment.followRedirects = value
        }
        if let retry = keys["retry"] {
            let retryKeys = entries(retry, path: "\(path).retry", allowed: ["max_attempts", "initial_delay"])
            if let node = retryKeys["max_attempts"],
                let value = integer(node, path: "\(path).retry.max_attempts", range: 1...20)
            {
                environment.retry.maxAttempts = value
            }
            if let node = retryKeys["initial_delay"],
                let value = duration(
                    node, path: "\(path).retry.initial_delay", minimum: .milliseconds(1), maximum: .seconds(3600))
            {
                environment.retry.initialDelay = value
            }
        }
        if let limits = keys["limits"] {
            let limitKeys = entries(
                limits, path: "\(path).limits", allowed: ["max_snapshot_bytes", "multipart_threshold"])
            if let node = limitKeys["max_snapshot_bytes"],
                let value = integer(node, path: "\(path).limits.max_snapshot_bytes", range: 1024...(4 << 30))
            {
                environment.maxSnapshotBytes = value
            }
            if let node = limitKeys["multipart_threshold"],
                let value = integer(node, path: "\(path).limits.multipart_threshold", range: 0...(1 << 30))
            {
                environment.multipartThreshold = value
            }
        }
        if let tls = keys["tls"] {
            let tlsKeys = entries(tls, path: "\(path).tls", allowed: ["ca_bundle", "insecure_skip_verify"])
            if let node = tlsKeys["ca_bundle"], let value = string(node, path: "\(path).tls.ca_bundle") {
                environment.tls.caBundlePath = value
            }
            if let node = tlsKeys["insecure_skip_verify"],
                let value = bool(node, path: "\(path).tls.insecure_skip_verify")
            {
                environment.tls.insecureSkipVerify = value
            }
        }
        if let node = keys["force"], let value = bool(node, path: "\(path).force") { environment.force = value }
        if index == 0 {
            for key in Self.targetOnlyKeys {
                if let node = keys[key] {
                    report(node, "\(path).\(key)", "the source (the first environment) is never promoted to")
                }
            }
        }
        var required = environment.approval.requiredApprovals
        if let node = keys["approval"], let value = string(node, path: "\(path).approval") {
            switch value {
            case "automatic": required = 0
            case "manual": required = max(required, 1)
            default:
                report(
                    node, "\(path).approval", "must be automatic or manual",
                    hint: suggestion(value, among: ["automatic", "manual"]))
            }
        }
        if let node = keys["approvals"], let value = integer(node, path: "\(path).approvals", range: 1...10) {
            if keys["approval"]?.scalar?.string == "automatic" {
                report(node, "\(path).approvals", "is for manual approval; this environment is automatic")
            }
            required = value
        }
        environment.approval = required == 0 ? .automatic : .manual(approvals: required)
        environment.destructive = index == 0 ? .allow : DestructivePolicy.defaultPolicy(forTargetAt: index - 1)
        if let node = keys["destructive"], let value = string(node, path: "\(path).destructive") {
            if let policy = DestructivePolicy(rawValue: value) {
                environment.destructive = policy
            } else {
                report(
                    node, "\(path).destructive", "must be allow, approve or never",
                    hint: suggestion(value, among: DestructivePolicy.allCases.map(\.rawValue)).map {
                        "did you mean \($0)?"
                    })
            }
        }
        if let node = keys["ignore"] {
            environment.ignore = IgnoreRules(readIgnore(node, path: "\(path).ignore"))
        }
        if let node = keys["system_indexes"], let value = string(node, path: "\(path).system_indexes") {
            switch value {
            case "keep": environment.manageSystemIndexes = false
            case "manage": environment.manageSystemIndexes = true
            default: report(node, "\(path).system_indexes", "must be keep or manage")
            }
        }
        if let node = keys["windows"] {
            environment.windows = readWindows(node, path: "\(path).windows")
        }
        if let node = keys["soak"], let value = duration(node, path: "\(path).soak", minimum: .zero) {
            environment.soak = value
        }
        return environment
    }

    /// `request` (one request, headers and body: at most an hour) and `tick` (all of an environment's requests in
    /// one tick: at most a day, and not less than one request).
    mutating func readEnvironmentTimeouts(
        _ keys: [String: Node], path: String, into environment: inout DaemonConfiguration.Environment
    ) {
        if let node = keys["request"],
            let value = duration(
                node, path: "\(path).request", minimum: .milliseconds(100), maximum: .seconds(3600))
        {
            environment.requestTimeout = value
        }
        if let node = keys["tick"],
            let value = duration(node, path: "\(path).tick", minimum: .seconds(1), maximum: .seconds(86_400))
        {
            environment.tickBudget = value
        }
        if let tick = environment.tickBudget, tick < environment.requestTimeout,
            let node = keys["tick"] ?? keys["request"]
        {
            report(
                node, "\(path).tick", "must be at least the request timeout",
                hint: "one request must fit in an environment's time for a tick")
        }
    }

    static func parseListen(_ text: String) -> DaemonConfiguration.HTTPEndpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : DaemonConfiguration.HTTPEndpoint(host: host, port: port)
    }

    static let webhookKeys = [
        "name", "url", "url_env", "url_file", "format", "events", "secret", "secret_env", "secret_file",
    ]

    mutating func readWebhooks(_ node: Node) -> [WebhookConfiguration] {
        guard case .sequence(let sequence) = node else {
            report(node, "webhooks", "must be a list of webhooks")
            return []
        }
        var webhooks: [WebhookConfiguration] = []
        var names = Set<String>()
        for (index, element) in sequence.enumerated() {
            let path = "webhooks[\(index)]"
            let keys = entries(element, path: path, allowed: Self.webhookKeys)
            guard case .mapping = element else { continue }
            guard let nameNode = keys["name"], let name = string(nameNode, path: "\(path).name") else {
                if keys["name"] == nil { report(element, "\(path).name", "is required") }
                continue
            }
            if !names.insert(name).inserted {
                report(nameNode, "\(path).name", "is already the name of another webhook")
            }
            var url: Secret.Source?
            var urlPosition: ConfigurationPosition?
            let urlKeys = ["url", "url_env", "url_file"].filter { keys[$0] != nil }
            if urlKeys.count > 1, let second = keys[urlKeys[1]] {
                report(second, "\(path).\(urlKeys[1])", "give only one of url, url_env, url_file")
            }
            if let node = keys["url"], let text = string(node, path: "\(path).url") {
                if let problem = WebhookConfiguration.problem(withURL: text) {
                    report(node, "\(path).url", problem, hint: "for example https://hooks.example.com/x")
                } else {
                    url = .inline(Secret(text))
                }
            } else if let node = keys["url_env"], let text = string(node, path: "\(path).url_env") {
                url = .environment(text)
                urlPosition = position(node, "\(path).url_env")
            } else if let node = keys["url_file"], let text = string(node, path: "\(path).url_file") {
                url = .file(text)
                urlPosition = position(node, "\(path).url_file")
            } else if urlKeys.isEmpty {
                report(element, "\(path).url", "is required (url, url_env or url_file)")
            }
            var format = WebhookConfiguration.Format.json
            if let node = keys["format"], let text = string(node, path: "\(path).format") {
                if let value = WebhookConfiguration.Format(rawValue: text) {
                    format = value
                } else {
                    report(node, "\(path).format", "must be json or slack")
                }
            }
            var kinds = Set(WebhookConfiguration.Kind.allCases)
            if let node = keys["events"] {
                if case .sequence(let list) = node {
                    kinds = []
                    for item in list {
                        guard let text = item.scalar?.string, let kind = WebhookConfiguration.Kind(rawValue: text)
                        else {
                            let text = item.scalar?.string ?? ""
                            report(
                                item, "\(path).events", "is not an event",
                                hint: suggestion(text, among: WebhookConfiguration.Kind.allCases.map(\.rawValue)).map {
                                    "did you mean \($0)?"
                                }
                                    ?? "one of \(WebhookConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                            )
                            continue
                        }
                        kinds.insert(kind)
                    }
                } else {
                    report(node, "\(path).events", "must be a list such as [approval_needed, failed]")
                }
            }
            var secret: Secret.Source?
            var secretPosition: ConfigurationPosition?
            let secretKeys = ["secret", "secret_env", "secret_file"].filter { keys[$0] != nil }
            if secretKeys.count > 1, let second = keys[secretKeys[1]] {
                report(second, "\(path).\(secretKeys[1])", "give only one of secret, secret_env, secret_file")
            }
            if let node = keys["secret_env"], let text = string(node, path: "\(path).secret_env") {
                secret = .environment(text)
                secretPosition = position(node, "\(path).secret_env")
            } else if let node = keys["secret_file"], let text = string(node, path: "\(path).secret_file") {
                secret = .file(text)
                secretPosition = position(node, "\(path).secret_file")
            } else if let node = keys["secret"], let text = string(node, path: "\(path).secret") {
                warnings.append(
                    "\(location(node)): \(path).secret: a secret written in the configuration; prefer secret_file")
                secret = .inline(Secret(text))
            }
            if let url {
                var webhook = WebhookConfiguration(name: name, url: url, format: format, kinds: kinds, secret: secret)
                webhook.urlPosition = urlPosition
                webhook.secretPosition = secretPosition
                webhooks.append(webhook)
            }
        }
        return webhooks
    }

    /// `ignore: [collection, collection.field, "directus_*", "*.internal_*"]`.
    mutating func readIgnore(_ node: Node, path: String) -> [String] {
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a list of patterns such as analytics or articles.internal_*")
            return []
        }
        var patterns: [String] = []
        for (index, element) in sequence.enumerated() {
            guard let pattern = string(element, path: "\(path)[\(index)]") else { continue }
            let parts = pattern.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count > 2 || parts.contains(where: \.isEmpty) {
                report(
                    element, "\(path)[\(index)]", "is not a pattern",
                    hint: "collection or collection.field, with * as a wildcard")
                continue
            }
            patterns.append(pattern)
        }
        return patterns
    }

    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// `windows: [{days: mon-fri, hours: "09:00-17:00", timezone: Europe/Berlin}]`.
    mutating func readWindows(_ node: Node, path: String) -> [PromotionWindow] {
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a list of windows such as {days: mon-fri, hours: \"09:00-17:00\"}")
            return []
        }
        var windows: [PromotionWindow] = []
        for (index, element) in sequence.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let keys = entries(element, path: itemPath, allowed: ["days", "hours", "timezone"])
            guard case .mapping = element else { continue }
            var days = Set(1...7)
            if let daysNode = keys["days"] {
                let text: String?
                if case .sequence(let list) = daysNode {
                    text = list.compactMap { $0.scalar?.string }.joined(separator: ",")
                } else {
                    text = string(daysNode, path: "\(itemPath).days")
                }
                if let text {
                    if let parsed = Self.parseDays(text) {
                        days = parsed
                    } else {
                        report(
                            daysNode, "\(itemPath).days", "is not a set of days",
                            hint: "daily, mon-fri, sat,sun or a list [mon, wed]")
                    }
                }
            }
            var start = 0
            var end = 24 * 60
            if let hoursNode = keys["hours"], let text = string(hoursNode, path: "\(itemPath).hours") {
                if let parsed = Self.parseHours(text) {
                    (start, end) = parsed
                } else {
                    report(
                        hoursNode, "\(itemPath).hours", "is not a time range", hint: "for example 09:00-17:00")
                }
            }
            var timeZone = TimeZone(identifier: "UTC")!
            if let zoneNode = keys["timezone"], let text = string(zoneNode, path: "\(itemPath).timezone") {
                if let zone = TimeZone(identifier: text) {
                    timeZone = zone
                } else {
                    report(
                        zoneNode, "\(itemPath).timezone", "is not a known time zone",
                        hint: "an IANA name such as Europe/Berlin or America/New_York")
                }
            }
            windows.append(PromotionWindow(days: days, start: start, end: end, timeZone: timeZone))
        }
        return windows
    }

    static func parseDays(_ text: String) -> Set<Int>? {
        let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
        if lower == "daily" || lower == "*" { return Set(1...7) }
        if lower == "weekdays" { return Set(1...5) }
        if lower == "weekends" { return [6, 7] }
        var days = Set<Int>()
        for part in lower.split(separator: ",") {
            let bounds = part.split(separator: "-").map(String.init)
            guard (1...2).contains(bounds.count),
                let first = weekdays.firstIndex(of: bounds[0]).map({ $0 + 1 }),
                let last = weekdays.firstIndex(of: bounds.last!).map({ $0 + 1 })
            else { return nil }
            var day = first
            while true {
                days.insert(day)
                if day == last { break }
                day = day % 7 + 1
            }
        }
        return days.isEmpty ? nil : days
    }

    static func parseHours(_ text: String) -> (Int, Int)? {
        let bounds = text.replacingOccurrences(of: " ", with: "").split(separator: "-")
        guard bounds.count == 2 else { return nil }
        func minutes(_ part: Substring) -> Int? {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, let hour = Int(pieces[0]), let minute = Int(pieces[1]), (0...24).contains(hour),
                (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
            else { return nil }
            return hour * 60 + minute
        }
        guard let start = minutes(bounds[0]), let end = minutes(bounds[1]), start != end else { return nil }
        return (start, end)
    }

    /// The credentials of an environment, with where their secret is named (for problems reading it later).
    mutating func readCredentials(
        _ keys: [String: Node], node: Node, path: String
    ) -> (credentials: DaemonConfiguration.Credentials, position: ConfigurationPosition)? {
        func source(_ inline: String, _ env: String, _ file: String) -> (Secret.Source, Node, String)? {
            let given = [inline, env, file].filter { keys[$0] != nil }
            if given.count > 1, let second = keys[given[1]] {
                report(second, "\(path).\(given[1])", "give only one of \(inline), \(env), \(file)")
            }
            if let node = keys[env], let name = string(node, path: "\(path).\(env)") {
                return (.environment(name), node, "\(path).\(env)")
            }
            if let node = keys[file], let value = string(node, path: "\(path).\(file)") {
                return (.file(value), node, "\(path).\(file)")
            }
            if let node = keys[inline], let value = string(node, path: "\(path).\(inline)") {
                warnings.append(
                    "\(location(node)): \(path).\(inline): a secret written in the configuration; prefer \(env) or \(file)"
                )
                if value.utf8.count < Redactor.minimumLength {
                    warnings.append(
                        "\(location(node)): \(path).\(inline): shorter than \(Redactor.minimumLength) characters, too "
                            + "short to be kept out of logs reliably")
                }
                return (.inline(Secret(value)), node, "\(path).\(inline)")
            }
            return nil
        }
        let token = source("token", "token_env", "token_file")
        let password = source("password", "password_env", "password_file")
        let email = keys["email"].flatMap { string($0, path: "\(path).email") }
        switch (token, email, password) {
        case (let token?, nil, nil):
            return (.token(token.0), position(token.1, token.2))
        case (nil, let email?, let password?):
            return (.login(email: email, password: password.0), position(password.1, password.2))
        case (_?, _, _):
            report(node, path, "give either a token or an email and password, not both")
        case (nil, _?, nil):
            report(node, "\(path).password_env", "the email needs a password (password_env or password_file)")
        case (nil, nil, _?):
            report(node, "\(path).email", "the password needs an email")
        case (nil, nil, nil):
            report(
                node, path, "no credentials",
                hint: "token_file (a systemd credential), token_env, or email with password_file/password_env")
        }
        return nil
    }

    // MARK: Values

    func location(_ node: Node) -> String {
        "\(file):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1)"
    }

    func position(_ node: Node, _ path: String) -> ConfigurationPosition {
        ConfigurationPosition(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path)
    }

    mutating func report(_ node: Node, _ path: String, _ message: String, hint: String? = nil) {
        problems.append(
            ConfigurationProblem(
                file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path, message: message,
                hint: hint))
    }

    /// The entries of a mapping by key; unknown keys are reported with a suggestion.
    mutating func entries(_ node: Node, path: String, allowed: [String]) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            report(node, path, "must be a mapping")
            return [:]
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let shown = Self.displayKey(key)
            let keyPath = path.isEmpty ? shown : "\(path).\(shown)"
            guard allowed.contains(key) else {
                // Past the problems that will be printed, counting is enough.
                let hint =
                    problems.count >= ConfigurationError.shown
                    ? nil
                    : suggestion(key, among: allowed).map { "did you mean \($0)?" }
                        ?? "known keys: \(allowed.joined(separator: ", "))"
                report(keyNode, keyPath, "unknown key", hint: hint)
                continue
            }
            if result[key] != nil {
                report(keyNode, keyPath, "appears twice")
            }
            result[key] = value
        }
        return result
    }

    mutating func string(_ node: Node, path: String) -> String? {
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            report(node, path, "must be a non-empty string")
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, path: String) -> Bool? {
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default:
            report(node, path, "must be true or false")
            return nil
        }
    }

    mutating func integer(_ node: Node, path: String, range: ClosedRange<Int>) -> Int? {
        guard let text = node.scalar?.string, let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            report(node, path, "must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            report(node, path, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    /// `0.1` or `10%`.
    mutating func fraction(_ node: Node, path: String) -> Double? {
        guard var text = node.scalar?.string else {
            report(node, path, "must be a fraction such as 0.1 or 10%")
            return nil
        }
        var scale = 1.0
        if text.hasSuffix("%") {
            text.removeLast()
            scale = 100
        }
        guard let value = Double(text).map({ $0 / scale }), (0...1).contains(value) else {
            report(node, path, "must be a fraction between 0 and 1 (or 0% to 100%)")
            return nil
        }
        return value
    }

    /// The longest duration any key takes, unless its own bound is lower.
    public static let longestDuration: Duration = .seconds(30 * 86_400)

    /// `90`, `90s`, `500ms`, `5m`, `1h`, `1h30m`, between `minimum` and `maximum` (30 days unless said).
    mutating func duration(
        _ node: Node, path: String, minimum: Duration, maximum: Duration = Self.longestDuration
    ) -> Duration? {
        guard let text = node.scalar?.string, let milliseconds = Self.durationMilliseconds(text) else {
            report(node, path, "not a duration", hint: "for example 30s, 5m, 1h or 500ms")
            return nil
        }
        guard milliseconds <= maximum.seconds * 1000,
            let value = Duration.checkedSeconds(
                milliseconds / 1000, atMost: maximum.seconds)
        else {
            report(node, path, "must be at most \(Self.describe(maximum))")
            return nil
        }
        guard value >= minimum else {
            report(node, path, "must be at least \(Self.describe(minimum))")
            return nil
        }
        return value
    }

    /// A duration as the configuration writes it: `30d`, `2h`, `5m`, `30s`, `500ms`.
    static func describe(_ duration: Duration) -> String {
        let milliseconds = Int(saturating: duration.seconds * 1000)
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }

    /// A duration of at most 100 years (longer texts, and NaN or infinite numbers, are not durations).
    public static func parseDuration(_ text: String) -> Duration? {
        guard let milliseconds = durationMilliseconds(text) else { return nil }
        return Duration.checkedSeconds(milliseconds / 1000, atMost: 100 * 365 * 86_400)
    }

    /// The milliseconds `text` denotes (`90`, `1h30m`, `500ms`): a finite, non-negative number, or nil.
    static func durationMilliseconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        if trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard let seconds = Double(trimmed), seconds.isFinite else { return nil }
            return seconds * 1000
        }
        var total = 0.0
        var number = ""
        var unit = ""
        var parts: [(String, String)] = []
        for character in trimmed {
            if character.isASCII && (character.isNumber || character == ".") {
                if !unit.isEmpty {
                    parts.append((number, unit))
                    number = ""
                    unit = ""
                }
                number.append(character)
            } else if character.isASCII && character.isLetter {
                unit.append(character)
            } else {
                return nil
            }
        }
        parts.append((number, unit))
        for (number, unit) in parts {
            guard let value = Double(number), value.isFinite else { return nil }
            switch unit {
            case "ms": total += value
            case "s": total += value * 1000
            case "m": total += value * 60_000
            case "h": total += value * 3_600_000
            case "d": total += value * 86_400_000
            default: return nil
            }
        }
        return total.isFinite ? total : nil
    }

    /// The closest candidate within a small edit distance.
    func suggestion(_ word: String, among candidates: [String]) -> String? {
        guard word.utf8.count <= 64 else { return nil }
        let scored = candidates.map { ($0, Self.distance(word.lowercased(), $0)) }.filter {
            $0.1 <= max(2, $0.0.count / 3)
        }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(
                    previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// A YAML error as a problem, without anything Yams quotes from the file: its `description` and its contexts
    /// hold the whole text (secrets included), so only libyaml's own problem text and the position are kept.
    static func problem(file: String, from error: YamlError) -> ConfigurationProblem {
        func located(_ mark: Mark, _ message: String) -> ConfigurationProblem {
            ConfigurationProblem(file: file, line: mark.line, column: mark.column, path: "", message: message)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return located(mark, "not valid YAML: \(safeText(problem))")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map(displayKey).joined(separator: ", ")
            return located(context.mark, "a key appears twice in one mapping (\(names))")
        case .reader(let problem, _, _, _):
            return ConfigurationProblem(
                file: file, line: 1, column: 1, path: "", message: "not readable as text: \(safeText(problem))")
        case .dataCouldNotBeDecoded:
            return ConfigurationProblem(file: file, line: 1, column: 1, path: "", message: "not UTF-8 text")
        default:
            return ConfigurationProblem(file: file, line: 1, column: 1, path: "", message: "not valid YAML")
        }
    }

    /// libyaml's problem texts are fixed phrases; anything longer or stranger is not passed on.
    static func safeText(_ text: String) -> String {
        text.utf8.count <= 100 && text.allSatisfy({ $0.isASCII && !$0.isNewline }) ? text : "unreadable input"
    }

    /// A key as a message may show it: a plain name, or `(a key)` when it does not look like one (a secret pasted
    /// in the wrong place must not come back in an error).
    static func displayKey(_ key: String) -> String {
        let plain =
            key.utf8.count <= 40 && !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || "0123456789_-*.".unicodeScalars.contains($0))
            }
        return plain ? key : "(a key)"
    }

    /// How deep a configuration may nest (flow brackets and block indentation levels together).
    static let maximumNesting = 64

    /// Where the text nests deeper than `maximumNesting`, if it does: Yams builds its tree recursively, and a
    /// file of ten thousand `[` would exhaust the stack. Counted conservatively (brackets inside quotes and
    /// comments count too): a real configuration stays far below.
    static func excessiveNesting(_ text: String) -> (line: Int, column: Int)? {
        var depth = 0
        var line = 1
        var column = 0
        var indentation = 0
        var atLineStart = true
        var dashes = 0
        for scalar in text.unicodeScalars {
            column += 1
            switch scalar {
            case "\n":
                line += 1
                column = 0
                indentation = 0
                dashes = 0
                atLineStart = true
                continue
            case " " where atLineStart:
                indentation += 1
            case "-" where atLineStart, "?" where atLineStart:
                dashes += 1
            case "[", "{":
                atLineStart = false
                depth += 1
            case "]", "}":
                atLineStart = false
                depth = max(0, depth - 1)
            default:
                atLineStart = false
            }
            if depth + dashes + indentation / 2 > maximumNesting * 2 || depth > maximumNesting {
                return (line, column)
            }
        }
        return nil
    }
}
