import DirectusSchema
import Foundation

/// How to reach and authenticate with one Directus instance.
public struct DirectusEndpoint: Sendable {
    /// How the client authenticates.
    public enum Authentication: Sendable {
        /// A static token (a user's `token`, an admin's for schema work).
        case staticToken(Secret)
        /// Email and password: `/auth/login`, then `/auth/refresh` ahead of expiry; login again when refresh fails.
        case credentials(email: String, password: Secret)
    }

    /// TLS settings for `https` URLs.
    public struct TLS: Sendable, Equatable {
        /// A PEM bundle of extra certificate authorities to trust.
        public var caBundlePath: String?
        /// Skip certificate verification (self-signed test instances only; the client logs a warning on use).
        public var insecureSkipVerify: Bool

        public init(caBundlePath: String? = nil, insecureSkipVerify: Bool = false) {
            self.caBundlePath = caBundlePath
            self.insecureSkipVerify = insecureSkipVerify
        }
    }

    /// Retries of safe calls (info, health, snapshot, diff) after transient failures. Apply is never retried.
    public struct RetryPolicy: Sendable, Equatable {
        /// Attempts in all, the first included.
        public var maxAttempts: Int
        public var initialDelay: Duration
        public var maxDelay: Duration
        public var multiplier: Double

        public init(
            maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30),
            multiplier: Double = 2
        ) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.multiplier = multiplier
        }

        /// The delay before attempt `attempt + 1` (attempt counts from 1), before jitter.
        public func backoff(afterAttempt attempt: Int) -> Duration {
            let factor = pow(multiplier, Double(max(0, attempt - 1)))
            let seconds = min(initialDelay.seconds * factor, maxDelay.seconds)
            return .milliseconds(Int(saturating: seconds * 1000))
        }

        public static let none = RetryPolicy(maxAttempts: 1)
    }

    /// The instance's base URL (`https://cms.example.com`), without a trailing slash.
    public var url: String
    public var authentication: Authentication
    /// The longest a whole request may take, connecting included.
    public var requestTimeout: Duration
    public var tls: TLS
    public var retry: RetryPolicy
    /// Snapshots larger than this are refused (`responseTooLarge`) rather than read into memory.
    public var maxSnapshotBytes: Int
    /// Uploads (diff, apply) larger than this go as a multipart file; below Directus's 1 MB JSON default.
    public var multipartThreshold: Int
    /// Refresh an access token this long before it expires.
    public var refreshAhead: Duration
    /// Follow redirects of GET requests (snapshot, server info, health) to the same host, at most five; redirects
    /// of other requests, or to other hosts, are errors whatever this says.
    public var followRedirects: Bool

    public init(
        url: String, authentication: Authentication, requestTimeout: Duration = .seconds(60), tls: TLS = TLS(),
        retry: RetryPolicy = RetryPolicy(), maxSnapshotBytes: Int = 256 << 20, multipartThreshold: Int = 900_000,
        refreshAhead: Duration = .seconds(60), followRedirects: Bool = false
    ) {
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.url = trimmed
        self.authentication = authentication
        self.requestTimeout = requestTimeout
        self.tls = tls
        self.retry = retry
        self.maxSnapshotBytes = maxSnapshotBytes
        self.multipartThreshold = multipartThreshold
        self.refreshAhead = refreshAhead
        self.followRedirects = followRedirects
    }
}
