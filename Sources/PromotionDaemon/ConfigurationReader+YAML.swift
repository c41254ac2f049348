import DirectusClient
import Foundation
import Logging
import PromotionCore
import Redaction
import Yams

/// What Yams is given and what is kept of its errors: nothing quoted from the file, no nesting it cannot bear.
extension ConfigurationReader {
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
