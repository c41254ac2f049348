import DirectusSchema
import Foundation
import Logging
import PromotionCore
import Redaction

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log lines on stderr, one per record: `LEVEL message key=value …`. A record is always one line (line breaks in a
/// message become `; `), and every known secret is blanked out of it (`Redactor`).
///
/// Under systemd (`$JOURNAL_STREAM` set) each line starts with its syslog priority (`<3>` for errors), which
/// journald reads as the record's priority, and carries no timestamp (journald adds its own). On a terminal,
/// levels are coloured and lines carry the time. Metadata keys are sorted so that lines compare well in tests.
public struct DaemonLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let style: Style
    let redactor: Redactor

    public enum Style: Sendable {
        case journal, terminal, plain
        /// One JSON object per line, for log shippers: `time`, `level`, `label`, `message`, then the metadata.
        case json
    }

    public init(
        label: String, level: Logger.Level, style: Style = Self.detectStyle(), redactor: Redactor = .process
    ) {
        self.label = label
        self.logLevel = level
        self.style = style
        self.redactor = redactor
    }

    public static func detectStyle(environment: [String: String] = ProcessInfo.processInfo.environment) -> Style {
        if environment["JOURNAL_STREAM"] != nil { return .journal }
        return isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil ? .terminal : .plain
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if case .json = style {
            var object = JSONObject()
            object["time"] = .string(Timestamp.utc(Date()))
            object["level"] = .string(event.level.rawValue)
            object["label"] = .string(label)
            object["message"] = .string(redactor.redact("\(event.message)"))
            for key in merged.keys.sorted() where object[key] == nil {
                object[key] = .string(redactor.redact("\(merged[key]!)"))
            }
            FileHandle.standardError.write(Data((JSONWriter().string(.object(object)) + "\n").utf8))
            return
        }
        let fields = merged.keys.sorted().map { "\($0)=\(Self.quote("\(merged[$0]!)"))" }.joined(separator: " ")
        let text = Self.oneLine(redactor.redact("\(event.message)" + (fields.isEmpty ? "" : " " + fields)))
        let line: String
        switch style {
        case .journal:
            line = "<\(Self.priority(event.level))>\(event.level.rawValue): \(text)\n"
        case .terminal:
            let time = Timestamp.localTime(Date())
            line = "\(time) \(Self.colour(event.level))\(event.level.rawValue)\u{1B}[0m \(text)\n"
        case .plain, .json:
            let time = Timestamp.utc(Date())
            line = "\(time) \(event.level.rawValue) \(text)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The record on one line: line breaks become `; `, other control characters a space.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var result = ""
        var pendingBreak = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                pendingBreak = !result.isEmpty
                continue
            }
            if pendingBreak {
                result += "; "
                pendingBreak = false
            }
            result.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
        }
        return result
    }

    static func quote(_ value: String) -> String {
        value.contains(" ") || value.contains("\"") || value.isEmpty
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func colour(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "\u{1B}[2m"
        case .info: "\u{1B}[36m"
        case .notice: "\u{1B}[1;36m"
        case .warning: "\u{1B}[33m"
        case .error, .critical: "\u{1B}[1;31m"
        }
    }
}
