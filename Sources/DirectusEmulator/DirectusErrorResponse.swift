import DirectusSchema

/// An error as Directus's error handler writes it: `{"errors":[{"message", "extensions":{…, "code"}}]}`.
public struct DirectusErrorResponse: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    /// Extra `extensions` members before `code` (e.g. `reason`).
    public var extensions: [(String, JSONValue)]

    public static func == (lhs: DirectusErrorResponse, rhs: DirectusErrorResponse) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message
    }

    public init(status: Int, code: String, message: String, extensions: [(String, JSONValue)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.extensions = extensions
    }

    public var body: JSONValue {
        var extensionObject = JSONObject()
        for (key, value) in extensions { extensionObject[key] = value }
        extensionObject["code"] = .string(code)
        return ["errors": [["message": .string(message), "extensions": .object(extensionObject)]]]
    }

    // MARK: Directus's errors

    static func invalidPayload(_ reason: String) -> Self {
        Self(
            status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \(reason).",
            extensions: [("reason", .string(reason))])
    }

    static func invalidPayload(_ error: DirectusValidation.InvalidPayload) -> Self {
        invalidPayload(error.reason)
    }

    static let forbidden = Self(status: 403, code: "FORBIDDEN", message: "You don't have permission to access this.")
    static let tokenExpired = Self(status: 401, code: "TOKEN_EXPIRED", message: "Token expired.")
    static let invalidToken = Self(status: 403, code: "INVALID_TOKEN", message: "Invalid token.")
    static let invalidCredentials = Self(status: 401, code: "INVALID_CREDENTIALS", message: "Invalid user credentials.")
    static func routeNotFound(_ path: String) -> Self {
        Self(
            status: 404, code: "ROUTE_NOT_FOUND", message: "Route \(path) doesn't exist.",
            extensions: [("path", .string(path))])
    }

    static func unsupportedMediaType(_ contentType: String?) -> Self {
        Self(
            status: 415, code: "UNSUPPORTED_MEDIA_TYPE",
            message: "Unsupported media type \"\(contentType ?? "undefined")\" in Content-Type header.",
            extensions: [("mediaType", contentType.map(JSONValue.string) ?? .null), ("where", "Content-Type header")])
    }

    static let contentTooLarge = Self(status: 413, code: "CONTENT_TOO_LARGE", message: "Uploaded content is too large.")

    static func internalError(_ message: String) -> Self {
        Self(status: 500, code: "INTERNAL_SERVER_ERROR", message: message)
    }

    static func serviceUnavailable(_ status: Int) -> Self {
        switch status {
        case 503: Self(status: 503, code: "SERVICE_UNAVAILABLE", message: "Service Unavailable.")
        case 502: Self(status: 502, code: "BAD_GATEWAY", message: "Bad Gateway.")
        case 504: Self(status: 504, code: "GATEWAY_TIMEOUT", message: "Gateway Timeout.")
        case 429: Self(status: 429, code: "REQUESTS_EXCEEDED", message: "Too many requests, retry after 1s.")
        default: Self(status: status, code: "INTERNAL_SERVER_ERROR", message: "An unexpected error occurred.")
        }
    }
}
