import DirectusClient
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// Webhooks: where notifications go, and how they are signed.
extension ConfigurationReader {
    mutating func readWebhooks(_ node: Node) -> [WebhookConfiguration] {
        guard case .sequence(let sequence) = node else {
            report(node, "webhooks", "must be a list of webhooks")
            return []
        }
        var webhooks: [WebhookConfiguration] = []
        var names = Set<String>()
        for (index, element) in sequence.enumerated() {
            let path = "webhooks[\(index)]"
            let keys = entries(element, path: path, allowed: ConfigurationKeys.children(of: "webhooks[]"))
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
}
