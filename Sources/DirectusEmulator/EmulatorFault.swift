import DirectusSchema

/// A failure the emulator injects, to show what a client sees when Directus or the network misbehaves.
public enum EmulatorFault: Sendable, Equatable, CustomStringConvertible {
    /// Answer this HTTP status (500, 502, 503, 504, 429) with Directus's error envelope instead of handling.
    case status(Int)
    /// Close the connection without answering.
    case dropConnection
    /// Announce the full body length, send half of it, then close.
    case truncatedBody
    /// Answer 200 with a body that is not JSON.
    case invalidJSON
    /// Before handling the request, change the schema behind the client's back (a new field appears).
    case driftBeforeHandling
    /// Handle the request, then wait this long before answering (an apply that "times out" after applying).
    case delayResponse(Duration)
    /// Apply only the first half of the diff, then fail with 500, leaving the schema partly changed (MySQL).
    case partialApply
    /// Expire every access token issued so far.
    case expireTokens

    public var description: String {
        switch self {
        case .status(let code): "status \(code)"
        case .dropConnection: "dropped connection"
        case .truncatedBody: "truncated body"
        case .invalidJSON: "invalid JSON"
        case .driftBeforeHandling: "drift before handling"
        case .delayResponse(let delay): "response delayed by \(delay)"
        case .partialApply: "partial apply"
        case .expireTokens: "expire tokens"
        }
    }

    /// Reads the command-line form: `503`, `status=502`, `drop`, `truncate`, `invalid-json`, `drift`,
    /// `delay=2s`, `partial-apply`, `expire-tokens`.
    public init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "status" where parts.count == 2: guard let code = Int(parts[1]) else { return nil }; self = .status(code)
        case "drop": self = .dropConnection
        case "truncate": self = .truncatedBody
        case "invalid-json": self = .invalidJSON
        case "drift": self = .driftBeforeHandling
        case "partial-apply": self = .partialApply
        case "expire-tokens": self = .expireTokens
        case "delay" where parts.count == 2:
            guard let duration = Self.parseDuration(parts[1]) else { return nil }
            self = .delayResponse(duration)
        default:
            guard let code = Int(parts[0]), (400...599).contains(code) else { return nil }
            self = .status(code)
        }
    }

    /// `250ms`, `2s` or `2`: at most an hour; NaN, infinity and the like are not durations.
    static func parseDuration(_ text: String) -> Duration? {
        if text.hasSuffix("ms"), let value = Double(text.dropLast(2)) {
            return .checkedSeconds(value / 1000, atMost: 3600)
        }
        if text.hasSuffix("s"), let value = Double(text.dropLast()) { return .checkedSeconds(value, atMost: 3600) }
        if let value = Double(text) { return .checkedSeconds(value, atMost: 3600) }
        return nil
    }
}

/// A fault waiting for matching requests.
public struct FaultRule: Sendable, Equatable {
    public var fault: EmulatorFault
    /// Only requests whose path starts with this (e.g. `/schema/apply`); `nil` matches every request but
    /// `/server/ping`.
    public var pathPrefix: String?
    /// How many matching requests get it; `nil` for all of them until cleared.
    public var remaining: Int?
    /// Only requests with this method (`POST`); `nil` matches every method.
    public var method: String?

    public init(_ fault: EmulatorFault, path: String? = nil, times: Int? = 1, method: String? = nil) {
        self.fault = fault
        self.pathPrefix = path
        self.remaining = times
        self.method = method
    }

    /// Reads `FAULT[@PATH][xCOUNT]`, e.g. `503@/schema/diffx2`, `drop@/schema/snapshot`, `delay=2s`.
    public init?(argument: String) {
        var text = Substring(argument)
        var times: Int? = 1
        if let x = text.lastIndex(of: "x"), let count = Int(text[text.index(after: x)...]), x > text.startIndex {
            times = count
            text = text[..<x]
        } else if text.hasSuffix("x*") {
            times = nil
            text = text.dropLast(2)
        }
        var path: String?
        if let at = text.firstIndex(of: "@") {
            path = String(text[text.index(after: at)...])
            text = text[..<at]
        }
        guard let fault = EmulatorFault(argument: String(text)) else { return nil }
        self.init(fault, path: path, times: times)
    }
}
