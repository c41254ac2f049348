import DirectusClient
import DirectusConfig
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// Ignore rules and promotion windows.
extension ConfigurationReader {
    /// `ignore: [collection, collection.field, "directus_*", "*.internal_*"]`.
    mutating func readIgnore(_ node: Node, path: String) -> [String] {
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a list of patterns such as analytics or articles.internal_*")
            return []
        }
        var patterns: [String] = []
        for (index, element) in sequence.enumerated() {
            guard let pattern = string(element, path: "\(path)[\(index)]") else { continue }
            if let colon = pattern.firstIndex(of: ":") {
                // Configuration: `role:Editor`, `flow:Nightly export`.
                if !ConfigIgnore.isConfigurationPattern(pattern) {
                    let kinds = ConfigKind.allCases.filter { $0 != .settings }.map(\.rawValue)
                    report(
                        element, "\(path)[\(index)]",
                        "names no kind of configuration (\(pattern[..<colon]))",
                        hint: "\(kinds.joined(separator: ", ")) followed by : and a name, or settings.field")
                    continue
                }
                patterns.append(pattern)
                continue
            }
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
            let keys = entries(
                element, path: itemPath, allowed: ConfigurationKeys.children(of: "environments[].windows[]"))
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

    /// `promote: [schema, configuration]` with `configuration.collections: [roles, policies, …]`: the kinds of
    /// configuration promoted with the schema (none unless both say so), each with the parents its records refer to.
    mutating func readPromotion(promote: Node?, configuration: Node?) -> [ConfigKind] {
        var promotesConfiguration = false
        let words = ["schema", "configuration", "content"]
        if let promote {
            guard case .sequence(let sequence) = promote else {
                report(promote, "promote", "must be a list", hint: "[schema] or [schema, configuration, content]")
                return []
            }
            var seen: [String] = []
            for (index, element) in sequence.enumerated() {
                guard let word = string(element, path: "promote[\(index)]") else { continue }
                guard words.contains(word) else {
                    report(element, "promote[\(index)]", "is not schema, configuration or content")
                    continue
                }
                seen.append(word)
            }
            if !seen.contains("schema") {
                report(
                    promote, "promote", "must include schema: configuration and content travel with the schema")
            }
            promotesConfiguration = seen.contains("configuration")
        }
        var kinds: [ConfigKind] = []
        if let configuration {
            let keys = entries(
                configuration, path: "configuration", allowed: ConfigurationKeys.children(of: "configuration"))
            if let node = keys["collections"] {
                guard case .sequence(let sequence) = node else {
                    report(node, "configuration.collections", "must be a list", hint: "[roles, policies, permissions]")
                    return []
                }
                for (index, element) in sequence.enumerated() {
                    guard let name = string(element, path: "configuration.collections[\(index)]") else { continue }
                    guard let kind = ConfigKind(collection: name) else {
                        report(
                            element, "configuration.collections[\(index)]", "is not a configuration collection",
                            hint: ConfigKind.allCases.map(\.fileStem).joined(separator: ", "))
                        continue
                    }
                    if !kinds.contains(kind) { kinds.append(kind) }
                }
                for kind in kinds {
                    for parent in Self.parents(of: kind) where !kinds.contains(parent) {
                        report(
                            node, "configuration.collections",
                            "\(kind.fileStem) refer to \(parent.fileStem), which must be promoted with them",
                            hint: "add \(parent.fileStem)")
                    }
                }
                if !promotesConfiguration {
                    report(
                        node, "configuration.collections", "is set but promote does not include configuration",
                        hint: "promote: [schema, configuration]")
                }
            } else if promotesConfiguration {
                report(configuration, "configuration", "needs collections: the configuration to promote, by name")
            }
        } else if promotesConfiguration, let promote {
            report(
                promote, "promote", "includes configuration but configuration.collections does not say which",
                hint: "configuration: {collections: [roles, policies, access, permissions]}")
        }
        return promotesConfiguration ? kinds.sorted() : []
    }

    /// The kinds whose records `kind`'s records refer to (a reference to a kind not promoted could not be kept).
    static func parents(of kind: ConfigKind) -> [ConfigKind] {
        switch kind {
        case .access: [.role, .policy]
        case .permission: [.policy]
        case .operation: [.flow]
        case .flow: [.operation]
        case .panel: [.dashboard]
        case .preset: [.role]
        default: []
        }
    }
}
