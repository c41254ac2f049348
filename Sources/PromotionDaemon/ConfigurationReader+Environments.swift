import DirectusClient
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// Environments: names, URLs, credentials, timeouts and limits, policies.
extension ConfigurationReader {
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
        let keys = entries(node, path: path, allowed: ConfigurationKeys.children(of: "environments[]"))
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
            let timeoutKeys = entries(
                timeouts, path: "\(path).timeouts", allowed: ConfigurationKeys.children(of: "environments[].timeouts"))
            readEnvironmentTimeouts(timeoutKeys, path: "\(path).timeouts", into: &environment)
        }
        if let node = keys["follow_redirects"], let value = bool(node, path: "\(path).follow_redirects") {
            environment.followRedirects = value
        }
        if let retry = keys["retry"] {
            let retryKeys = entries(
                retry, path: "\(path).retry", allowed: ConfigurationKeys.children(of: "environments[].retry"))
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
                limits, path: "\(path).limits", allowed: ConfigurationKeys.children(of: "environments[].limits"))
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
            let tlsKeys = entries(
                tls, path: "\(path).tls", allowed: ConfigurationKeys.children(of: "environments[].tls"))
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
}
