import DirectusContent
import Yams

extension ConfigurationReader {
    /// `promote: [schema, content]` with `content.collections`: the reference-data collections promoted with the
    /// schema (none unless both say so), and their limits. Whether the schema can carry each rule (the identity's
    /// fields, the collection's table) is checked against the source's schema when it is read.
    mutating func readContent(promote: Node?, content: Node?) -> (rules: [ContentRule], limits: ContentLimits) {
        var promoted = false
        if case .sequence(let sequence)? = promote {
            promoted = sequence.contains { $0.scalar?.string == "content" }
        }
        var limits = ContentLimits()
        guard let content else {
            if promoted, let promote {
                report(
                    promote, "promote", "includes content but content.collections does not say which",
                    hint: "content: {collections: [countries, {collection: cities, identity: name}]}")
            }
            return ([], limits)
        }
        let keys = entries(content, path: "content", allowed: ConfigurationKeys.children(of: "content"))
        if let node = keys["max_rows"], let value = integer(node, path: "content.max_rows", range: 1...1_000_000) {
            limits.maxRows = value
        }
        if let node = keys["max_bytes"],
            let value = integer(node, path: "content.max_bytes", range: 1_024...(256 << 20))
        {
            limits.maxBytes = value
        }
        var rules: [ContentRule] = []
        guard let node = keys["collections"] else {
            report(content, "content", "needs collections: the reference data to promote, by collection")
            return ([], limits)
        }
        guard case .sequence(let sequence) = node else {
            report(node, "content.collections", "must be a list", hint: "[countries, {collection: cities}]")
            return ([], limits)
        }
        for (index, element) in sequence.enumerated() {
            let path = "content.collections[\(index)]"
            var rule: ContentRule
            if element.scalar != nil {
                guard let name = string(element, path: path) else { continue }
                rule = ContentRule(collection: name)
            } else {
                let fields = entries(
                    element, path: path, allowed: ConfigurationKeys.children(of: "content.collections[]"))
                guard let nameNode = fields["collection"] else {
                    report(element, path, "needs collection: the collection whose rows travel")
                    continue
                }
                guard let name = string(nameNode, path: "\(path).collection") else { continue }
                rule = ContentRule(collection: name)
                if let identity = fields["identity"] {
                    rule.identity = names(identity, path: "\(path).identity")
                    if rule.identity.isEmpty { report(identity, "\(path).identity", "names no field") }
                }
                if let policy = fields["policy"], let text = string(policy, path: "\(path).policy") {
                    if let value = ContentRule.Policy(rawValue: text) {
                        rule.policy = value
                    } else {
                        report(
                            policy, "\(path).policy", "is not a policy",
                            hint: ContentRule.Policy.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                }
                if let ignore = fields["ignore"] { rule.ignoreFields = names(ignore, path: "\(path).ignore") }
            }
            if rule.collection.hasPrefix("directus_") {
                report(
                    element, path, "is a system collection: configuration promotion carries those",
                    hint: "promote: [schema, configuration] with configuration.collections")
                continue
            }
            if rules.contains(where: { $0.collection == rule.collection }) {
                report(element, path, "\(rule.collection) appears twice")
                continue
            }
            rules.append(rule)
        }
        if !promoted {
            report(
                node, "content.collections", "is set but promote does not include content",
                hint: "promote: [schema, content]")
            return ([], limits)
        }
        return (rules, limits)
    }

    /// A field name or a list of them.
    mutating func names(_ node: Node, path: String) -> [String] {
        if node.scalar != nil { return string(node, path: path).map { [$0] } ?? [] }
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a field name or a list of them")
            return []
        }
        return sequence.enumerated().compactMap { index, element in string(element, path: "\(path)[\(index)]") }
    }
}
