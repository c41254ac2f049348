import Foundation
import Redaction

/// A token or password. It never prints: `description`, `debugDescription` and string interpolation give
/// `<redacted>`, so a secret cannot reach a log line or an error message by accident; and every secret made is
/// registered with the process's `Redactor`, so text that quotes it anyway (a server echoing a header, a library's
/// error) is blanked out before it is logged or stored.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; read it only to put it on the wire.
    public let value: String

    public init(_ value: String, redactor: Redactor = .process) {
        self.value = value
        redactor.register(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// Where a secret comes from, as a config file names it (never the secret itself in logs).
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// An environment variable.
        case environment(String)
        /// A file, such as a systemd credential (`$CREDENTIALS_DIRECTORY/name`); a trailing newline is dropped.
        case file(String)
        /// Written in the configuration itself (discouraged).
        case inline(Secret)

        public var description: String {
            switch self {
            case .environment(let name):
                // A variable's name, unless it does not look like one (a secret written where its name belongs).
                name.utf8.count <= 64 && name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                    && name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
                    ? "environment variable \(name)" : "the environment variable named there"
            case .file(let path): "file \(path)"
            case .inline: "the configuration file"
            }
        }
    }

    /// Why a secret could not be read, naming where it was looked for.
    public struct ResolutionError: Error, Sendable, CustomStringConvertible {
        public var source: Source
        public var reason: String
        public var description: String { "cannot read the secret from \(source): \(reason)" }

        public init(source: Source, reason: String) {
            self.source = source
            self.reason = reason
        }
    }

    /// Reads the secret from its source.
    public static func resolve(
        _ source: Source, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ResolutionError) -> Secret {
        switch source {
        case .inline(let secret):
            return secret
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw ResolutionError(source: source, reason: "it is not set")
            }
            return Secret(value)
        case .file(let path):
            var expanded = path
            if path.hasPrefix("$CREDENTIALS_DIRECTORY/"), let directory = environment["CREDENTIALS_DIRECTORY"] {
                expanded = directory + path.dropFirst("$CREDENTIALS_DIRECTORY".count)
            }
            guard let data = FileManager.default.contents(atPath: expanded) else {
                throw ResolutionError(source: source, reason: "no such file or not readable")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw ResolutionError(source: source, reason: "the file is empty") }
            return Secret(text)
        }
    }
}
