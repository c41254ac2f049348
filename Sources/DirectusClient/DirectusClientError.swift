import DirectusSchema

/// Everything that can go wrong talking to Directus, by what the caller should do about it. Each prints as one
/// clear line, with Directus's own message where there is one, and never a secret.
public enum DirectusClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The instance could not be reached (DNS, refused connection, TLS).
    case unreachable(url: String, reason: String)
    /// No whole answer (headers and body) within the request timeout.
    case timeout(operation: String, after: Duration)
    /// The environment used up its time for this tick (`timeouts.tick`); it is tried again next tick.
    case budgetExhausted(operation: String, budget: Duration)
    /// The call was abandoned because the daemon is stopping or reloading; nothing is wrong with the instance.
    case cancelled(operation: String)
    /// Directus (or a proxy before it) answered with a redirect that is not followed.
    case redirected(status: Int, location: String)
    /// 401: the credentials are wrong, or (`expired`) the token expired and could not be renewed.
    case unauthorized(expired: Bool, message: String)
    /// 403: the credentials are valid but not an admin's (schema endpoints are for admins).
    case forbidden(message: String)
    /// 400 with a reason Directus gives for refusing the payload.
    case payloadRejected(reason: String)
    /// The uploaded snapshot's Directus version differs from the instance's (use `force` deliberately).
    case versionMismatch(provided: String, current: String)
    /// The uploaded snapshot's vendor is missing or differs from the instance's.
    case vendorMismatch(provided: String?, current: String)
    /// The target changed since the diff was computed (Directus's message): diff again.
    case staleHash(message: String)
    /// The diff wants to create something that exists or delete something that does not.
    case conflict(action: String, entity: String, name: String)
    /// Directus refused the apply in its database step, naming what it was working on.
    case applyFailed(collection: String?, field: String?, message: String)
    /// An apply whose outcome is unknown (timeout or lost connection after sending): diff again to find out.
    case applyOutcomeUnknown(reason: String)
    /// 5xx, or any other status the client does not expect.
    case serverError(status: Int, message: String)
    /// 429 after the retries ran out.
    case rateLimited(retryAfter: Duration?)
    /// The response is larger than the configured limit.
    case responseTooLarge(limit: Int)
    /// The instance refused an upload for its size: a multipart file at or above `IMPORT_MAX_FILE_SIZE` (413,
    /// 12.2+) or a JSON body above `MAX_PAYLOAD_SIZE` (400). `setting` names the one to raise.
    case uploadTooLarge(setting: String, bytes: Int?)
    /// The response is not what Directus sends (not JSON, missing fields).
    case malformedResponse(detail: String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "cannot reach \(url): \(reason)"
        case .timeout(let operation, let after): "\(operation) timed out after \(Self.format(after))"
        case .budgetExhausted(let operation, let budget):
            "\(operation) not finished: this environment used its \(Self.format(budget)) for this tick "
                + "(timeouts.tick); trying again next tick"
        case .cancelled(let operation): "\(operation) abandoned: the daemon is stopping or reloading"
        case .redirected(let status, let location):
            "answered \(status), a redirect to \(location.isEmpty ? "nowhere" : location), which is not followed "
                + "(it would carry the token elsewhere): set url to the address Directus answers on"
        case .unauthorized(true, let message): "the access token expired and could not be renewed (\(message))"
        case .unauthorized(false, let message): "unauthorized: \(message)"
        case .forbidden(let message): "forbidden: \(message) (schema endpoints need an admin token)"
        case .payloadRejected(let reason): "Directus refused the payload: \(reason)"
        case .versionMismatch(let provided, let current):
            "version mismatch: the snapshot is from Directus \(provided), the instance runs \(current) (set force to promote across versions)"
        case .vendorMismatch(let provided, let current):
            "vendor mismatch: the snapshot is for \(provided ?? "an unnamed vendor"), the instance uses \(current) (set force to promote across vendors)"
        case .staleHash(let message): "Directus refused the diff's hash: \"\(message)\""
        case .conflict(let action, let entity, let name):
            "conflict: the diff tries to \(action) \(entity) \(name), which the target \(action == "create" ? "already has" : "does not have"); diff again"
        case .applyFailed(let collection, let field, let message):
            "apply failed" + (collection.map { " on \($0)\(field.map { ".\($0)" } ?? "")" } ?? "") + ": \(message)"
        case .applyOutcomeUnknown(let reason): "the apply's outcome is unknown (\(reason)); diff again to find out"
        case .serverError(let status, let message): "server error \(status): \(message)"
        case .rateLimited(let retryAfter):
            "rate limited" + (retryAfter.map { ", retry after \(Self.format($0))" } ?? "")
        case .responseTooLarge(let limit): "the response is larger than the \(limit)-byte limit"
        case .uploadTooLarge(let setting, let bytes):
            "the instance refused the upload" + (bytes.map { " of \($0) bytes" } ?? "") + " as too large: raise "
                + "\(setting) in its environment\(bytes.map { " above \($0) bytes" } ?? "") (for example "
                + "\(setting)=\(Self.suggestedSize(bytes, setting: setting))) and restart it"
                + (setting == "IMPORT_MAX_FILE_SIZE"
                    ? "; Directus 12.2+ refuses multipart files of IMPORT_MAX_FILE_SIZE bytes or more (413)" : "")
        case .malformedResponse(let detail): "malformed response: \(detail)"
        }
    }

    /// Whether trying the same safe call again may succeed.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timeout, .rateLimited, .budgetExhausted: true
        case .serverError(let status, _): [502, 503, 504].contains(status)
        default: false
        }
    }

    /// A value of `setting` comfortably above an upload of `bytes`: twice it, in whole megabytes.
    static func suggestedSize(_ bytes: Int?, setting: String) -> String {
        guard let bytes else { return setting == "MAX_PAYLOAD_SIZE" ? "10mb" : "200mb" }
        let megabytes = max(1, (bytes.multipliedReportingOverflow(by: 2).partialValue + (1 << 20) - 1) >> 20)
        return "\(megabytes)mb"
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds < 1 ? "\(Int(saturating: seconds * 1000)) ms" : "\(Int(saturating: seconds.rounded())) s"
    }
}

// MARK: - Reading Directus's error envelope

extension DirectusClientError {
    /// The error for a Directus error response: status plus the first `{message, extensions: {code, reason}}`.
    public static func classify(status: Int, body: [UInt8], duringApply: Bool = false) -> DirectusClientError {
        let envelope = try? JSONParser.parse(body)
        let first = envelope?["errors"]?.arrayValue?.first
        let message = first?["message"]?.stringValue ?? String(decoding: body.prefix(300), as: UTF8.self)
        let code = first?["extensions"]?["code"]?.stringValue
        let reason = first?["extensions"]?["reason"]?.stringValue ?? Self.stripInvalidPayload(message)
        switch (status, code) {
        case (401, "TOKEN_EXPIRED"): return .unauthorized(expired: true, message: message)
        case (401, _): return .unauthorized(expired: false, message: message)
        case (403, "INVALID_TOKEN"): return .unauthorized(expired: false, message: message)
        case (403, _): return .forbidden(message: message)
        case (429, _): return .rateLimited(retryAfter: nil)
        case (413, _): return .uploadTooLarge(setting: "IMPORT_MAX_FILE_SIZE", bytes: nil)
        case (400, "INVALID_PAYLOAD"), (400, nil):
            return classify(reason: reason, duringApply: duringApply)
        case (500..<600, _):
            if duringApply, let located = locate(message) {
                return .applyFailed(collection: located.collection, field: located.field, message: message)
            }
            return .serverError(status: status, message: message)
        default:
            return .serverError(status: status, message: message)
        }
    }

    static func stripInvalidPayload(_ message: String) -> String {
        var text = message
        if text.hasPrefix("Invalid payload. ") { text.removeFirst("Invalid payload. ".count) }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Reads the reasons of SPEC §4 (and the apply step's service errors) into typed errors.
    static func classify(reason: String, duringApply: Bool) -> DirectusClientError {
        if reason.hasPrefix("Provided snapshot's directus version "),
            let provided = between(reason, "version ", " does not match"),
            let current = between(reason, "current instance's version ", ". You can")
        {
            return .versionMismatch(provided: provided, current: current)
        }
        if reason.hasPrefix("Provided snapshot does not contain the \"vendor\" property") {
            return .vendorMismatch(provided: nil, current: "?")
        }
        if reason.hasPrefix("Provided snapshot's vendor "),
            let provided = between(reason, "vendor ", " does not match"),
            let current = between(reason, "current instance's vendor ", ". You can")
        {
            return .vendorMismatch(provided: provided, current: current)
        }
        if reason.hasPrefix("Provided hash does not match") { return .staleHash(message: reason) }
        if reason == "request entity too large" { return .uploadTooLarge(setting: "MAX_PAYLOAD_SIZE", bytes: nil) }
        if reason.hasPrefix("Provided diff is trying to ") {
            let rest = reason.dropFirst("Provided diff is trying to ".count)
            let words = rest.split(separator: " ", maxSplits: 2)
            if words.count == 3, let name = between(String(words[2]), "\"", "\"") {
                return .conflict(action: String(words[0]), entity: String(words[1]), name: name)
            }
        }
        if duringApply, let located = locate(reason) {
            return .applyFailed(collection: located.collection, field: located.field, message: reason)
        }
        return .payloadRejected(reason: reason)
    }

    /// The collection and field named by Directus's service errors (`Field "f" already exists in collection "c"`).
    static func locate(_ message: String) -> (collection: String?, field: String?)? {
        let quoted = message.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
        if message.hasPrefix("Field ") && message.contains(" collection ") && quoted.count >= 2 {
            return (quoted[1], quoted[0])
        }
        if message.hasPrefix("Collection ") && quoted.count >= 1 { return (quoted[0], nil) }
        if message.contains("Failed to ") && quoted.count >= 1 {
            let parts = quoted[0].split(separator: ".", maxSplits: 1).map(String.init)
            return (parts.first, parts.count > 1 ? parts[1] : nil)
        }
        return nil
    }

    private static func between(_ text: String, _ start: String, _ end: String) -> String? {
        guard let from = text.range(of: start) else { return nil }
        guard let to = text.range(of: end, range: from.upperBound..<text.endIndex) else { return nil }
        return String(text[from.upperBound..<to.lowerBound])
    }
}
