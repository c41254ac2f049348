import Yams

/// Reads YAML into a `JSONValue` the way Directus does (js-yaml's default schema, YAML 1.2 core resolution).
///
/// Plain scalars resolve as js-yaml resolves them: `null`/`~`/empty → null, `true`/`false` (three spellings)
/// → booleans, integers (with `0x`, `0o`, `0b` and `_`), floats; everything else, and every quoted or block
/// scalar, is a string. Unlike YAML 1.1 (PyYAML), `yes`/`no`/`on`/`off` stay strings. Dates and times stay
/// strings as written. A repeated mapping key is an error, as it is for js-yaml.
public enum YAMLReader {
    /// A YAML problem with its position when one is known.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let line: Int?
        public let column: Int?
        public var description: String {
            if let line, let column { return "\(message) at line \(line), column \(column)" }
            return message
        }
    }

    /// Parses the first YAML document of `text`. An empty document reads as `null`.
    public static func read(_ text: String) throws(ReadError) -> JSONValue {
        let node: Node?
        do {
            // No tag resolution by Yams (regular expressions per scalar, through ICU): scalars are resolved here,
            // as js-yaml resolves them.
            node = try Yams.compose(yaml: text, Resolver.basic)
        } catch {
            throw Self.describe(error)
        }
        guard let node else { return .null }
        return try convert(node)
    }

    static func convert(_ node: Node) throws(ReadError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                return resolvePlain(scalar.string)
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            array.reserveCapacity(sequence.count)
            for element in sequence { array.append(try convert(element)) }
            return .array(array)
        case .mapping(let mapping):
            var object = JSONObject()
            var merges: [JSONObject] = []
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ReadError(
                        message: "A mapping key must be a scalar", line: keyNode.mark?.line,
                        column: keyNode.mark?.column)
                }
                if keyScalar.style == .plain && keyScalar.string == "<<" {
                    merges.append(contentsOf: try mergeSources(valueNode))
                    continue
                }
                let key = keyString(keyScalar)
                if object.contains(key: key) {
                    throw ReadError(
                        message: "Duplicated mapping key \"\(key)\"", line: keyNode.mark?.line,
                        column: keyNode.mark?.column)
                }
                object.set(try convert(valueNode), for: key)
            }
            for source in merges {
                for (key, value) in source where !object.contains(key: key) {
                    object.set(value, for: key)
                }
            }
            return .object(object)
        case .alias(let alias):
            throw ReadError(message: "Unresolved YAML alias", line: alias.mark?.line, column: alias.mark?.column)
        }
    }

    private static func mergeSources(_ node: Node) throws(ReadError) -> [JSONObject] {
        switch try convert(node) {
        case .object(let object): return [object]
        case .array(let array):
            var result: [JSONObject] = []
            for element in array {
                guard case .object(let object) = element else {
                    throw ReadError(
                        message: "A merge key needs mappings", line: node.mark?.line, column: node.mark?.column)
                }
                result.append(object)
            }
            return result
        default:
            throw ReadError(message: "A merge key needs mappings", line: node.mark?.line, column: node.mark?.column)
        }
    }

    /// A mapping key becomes the string JavaScript would use for the resolved key (`1.0:` → `"1"`).
    private static func keyString(_ scalar: Node.Scalar) -> String {
        guard scalar.style == .plain || scalar.style == .any else { return scalar.string }
        switch resolvePlain(scalar.string) {
        case .null: return "null"
        case .bool(let bool): return bool ? "true" : "false"
        case .number(let number): return number.javaScriptText
        default: return scalar.string
        }
    }

    // MARK: js-yaml core schema

    /// Resolves a plain scalar as js-yaml's default schema does.
    public static func resolvePlain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let integer = resolveInteger(text) { return .number(integer) }
        if let float = resolveFloat(text) { return float }
        return .string(text)
    }

    private static func resolveInteger(_ text: String) -> JSONNumber? {
        var chars = Array(text.unicodeScalars)
        guard !chars.isEmpty else { return nil }
        var negative = false
        if chars[0] == "-" || chars[0] == "+" {
            negative = chars[0] == "-"
            chars.removeFirst()
        }
        guard let first = chars.first else { return nil }
        func value(_ digits: ArraySlice<Unicode.Scalar>, radix: Int) -> JSONNumber? {
            let cleaned = String(String.UnicodeScalarView(digits.filter { $0 != "_" }))
            guard !cleaned.isEmpty, !digits.isEmpty, digits.last != "_" else { return nil }
            // Large values lose precision exactly as JavaScript's parseInt does.
            var result = 0.0
            for scalar in cleaned.unicodeScalars {
                guard let digit = Int(String(scalar), radix: radix) else { return nil }
                result = result * Double(radix) + Double(digit)
            }
            return JSONNumber(negative ? -result : result)
        }
        if first == "0" && chars.count > 1 {
            switch chars[1] {
            case "b": return value(chars[2...], radix: 2)
            case "x": return value(chars[2...], radix: 16)
            case "o": return value(chars[2...], radix: 8)
            default: break
            }
        }
        guard first != "_", chars.allSatisfy({ ("0"..."9").contains($0) || $0 == "_" }),
            chars.contains(where: { $0 != "_" }), chars.last != "_"
        else { return nil }
        let digits = String(String.UnicodeScalarView(chars.filter { $0 != "_" }))
        // Keep the written form when it already is a canonical JSON integer.
        let trimmed = digits.drop { $0 == "0" }
        let canonical = trimmed.isEmpty ? "0" : String(trimmed)
        if canonical.count < 16 {
            return JSONNumber(text: (negative && canonical != "0" ? "-" : "") + canonical)
        }
        return value(chars[...], radix: 10)
    }

    private static func resolveFloat(_ text: String) -> JSONValue? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            // JSON has no representation; JSON.stringify sends these as null.
            return .null
        default: break
        }
        guard text.last != "_", matchesFloat(Array(text.unicodeScalars)) else { return nil }
        let cleaned = text.replacingUnderscores()
        guard let double = Double(cleaned) else { return nil }
        return .number(JSONNumber(double))
    }

    /// `[-+]?([0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?` or `\.[0-9_]+([eE][-+]?[0-9]+)?`
    private static func matchesFloat(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func exponent() -> Bool {
            guard i < s.count else { return true }
            guard s[i] == "e" || s[i] == "E" else { return false }
            i += 1
            if i < s.count && (s[i] == "-" || s[i] == "+") { i += 1 }
            guard i < s.count, isDigit(s[i]) else { return false }
            while i < s.count && isDigit(s[i]) { i += 1 }
            return i == s.count
        }
        if i < s.count && s[i] == "." {
            i += 1
            guard i < s.count, isDigit(s[i]) || s[i] == "_" else { return false }
            while i < s.count && (isDigit(s[i]) || s[i] == "_") { i += 1 }
            return exponent()
        }
        if i < s.count && (s[i] == "-" || s[i] == "+") { i += 1 }
        guard i < s.count, isDigit(s[i]) else { return false }
        while i < s.count && (isDigit(s[i]) || s[i] == "_") { i += 1 }
        if i < s.count && s[i] == "." {
            i += 1
            while i < s.count && (isDigit(s[i]) || s[i] == "_") { i += 1 }
        }
        return exponent()
    }

    private static func describe(_ error: any Error) -> ReadError {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
                let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
                return ReadError(message: "Invalid YAML: \(text)", line: mark.line, column: mark.column)
            case .composer(let context, let problem, let mark, _):
                let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
                return ReadError(message: "Invalid YAML: \(text)", line: mark.line, column: mark.column)
            case .duplicatedKeysInMapping(let duplicates, let context):
                let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
                return ReadError(
                    message: "Duplicated mapping key \(keys) (first defined here)", line: context.mark.line,
                    column: context.mark.column)
            default:
                return ReadError(message: "Invalid YAML: \(yamlError)", line: nil, column: nil)
            }
        }
        return ReadError(message: "Invalid YAML: \(error)", line: nil, column: nil)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(String.UnicodeScalarView(unicodeScalars.filter { $0 != "_" }))
    }
}
