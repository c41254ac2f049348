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
