import Foundation

/// Blanks out known secrets in text before it is written anywhere lasting: log lines, the audit log, stored errors.
///
/// Every `Secret` the process creates (configured tokens, passwords and webhook secrets, and every token obtained
/// from Directus) is registered here when it is made, so a message that quotes one by accident (a server echoing a
/// header, a library error with a URL) still never shows it. The process has one registry, as it has one log
/// system; tests make their own.
public final class Redactor: @unchecked Sendable {
    /// The registry the process writes through.
    public static let process = Redactor()

    /// What a secret is replaced with.
    public static let mask = "<redacted>"

    /// Secrets shorter than this are not searched for: a two-letter password would blank out every word holding
    /// those letters. The configuration reader warns about such secrets instead.
    public static let minimumLength = 4

    /// The most secrets kept; the oldest go first (rotating refresh tokens would otherwise grow the list forever).
    public static let capacity = 512

    private let lock = NSLock()
    private var secrets: [String] = []

    public init() {}

    /// Adds a secret to look for.
    public func register(_ secret: String) {
        guard secret.utf8.count >= Self.minimumLength else { return }
        lock.withLock {
            if let index = secrets.firstIndex(of: secret) { secrets.remove(at: index) }
            secrets.append(secret)
            if secrets.count > Self.capacity { secrets.removeFirst(secrets.count - Self.capacity) }
        }
    }

    /// How many secrets are registered.
    public var count: Int { lock.withLock { secrets.count } }

    /// `text` with every registered secret replaced by `<redacted>` (longest first, so a secret holding another is
    /// masked whole).
    public func redact(_ text: String) -> String {
        let current = lock.withLock { secrets }
        guard !current.isEmpty, !text.isEmpty else { return text }
        var result = text
        for secret in current.sorted(by: { $0.utf8.count > $1.utf8.count }) where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}
