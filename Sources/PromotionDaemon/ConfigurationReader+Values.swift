import DirectusClient
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// Scalars and where they are: strings, numbers, durations, suggestions, problems.
extension ConfigurationReader {
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
}
