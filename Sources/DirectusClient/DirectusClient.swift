import AsyncHTTPClient
import DirectusSchema
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A client for one Directus instance's schema API: auth, timeouts, retries of safe calls, uploads, typed errors.
///
/// Every request has a deadline. Safe calls (info, health, snapshot, diff) are retried with exponential backoff
/// and jitter after transient failures; `apply` is sent once, and an apply whose outcome is unknown is reported
/// as such (`applyOutcomeUnknown`), to be resolved by diffing again. Secrets go only into the `Authorization`
/// header, never into a URL, a log line or an error.
public actor DirectusClient {
    public let endpoint: DirectusEndpoint
    let http: HTTPClient
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    let jitter: @Sendable (Duration) -> Duration

    struct Session {
        var accessToken: Secret
        var refreshToken: Secret
        var expiresAt: ContinuousClock.Instant
    }

    var session: Session?
    var tlsConfiguration: TLSConfiguration?

    /// - Parameters:
    ///   - httpClient: the process's one HTTP client.
    ///   - sleep: waits between retries (tests pass one that does not wait).
    ///   - jitter: spreads a backoff delay (default: a random share between half and all of it).
    public init(
        endpoint: DirectusEndpoint, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "directus-client"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable (Duration) -> Duration = { $0 * Double.random(in: 0.5...1.0) }
    ) {
        self.endpoint = endpoint
        self.http = httpClient
        var logger = logger
        logger[metadataKey: "directus.url"] = "\(endpoint.url)"
        self.logger = logger
        self.sleep = sleep
        self.jitter = jitter
        if endpoint.url.lowercased().hasPrefix("https") {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let bundle = endpoint.tls.caBundlePath {
                tls.trustRoots = .file(bundle)
            }
            if endpoint.tls.insecureSkipVerify {
                tls.certificateVerification = .none
                logger.warning(
                    "TLS certificate verification is OFF for this instance: anyone on the network path can impersonate it",
                    metadata: ["tls.insecure_skip_verify": "true"])
            }
            tlsConfiguration = tls
        }
    }

    // MARK: Requests

    /// One request as the client sends it.
    struct Call {
        var method: HTTPMethod
        var path: String
        var query: String = ""
        var body: Upload?
        /// Safe to send again (no effect on the server, or the same effect).
        var isIdempotent: Bool
        var authenticated = true
        /// What the caller is doing, for errors and logs.
        var operation: String
        var maxBytes = 16 << 20
        var extraHeaders: [(String, String)] = []
    }

    enum Upload {
        case json([UInt8])
        case multipart(boundary: String, bytes: [UInt8])
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends `call`, retrying when it is safe and useful, renewing an expired token once.
    func perform(_ call: Call) async throws(DirectusClientError) -> Answer {
        let attempts = call.isIdempotent ? max(1, endpoint.retry.maxAttempts) : 1
        var renewedToken = false
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<Answer, DirectusClientError>
            do {
                outcome = .success(try await send(call))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let answer):
                if answer.status == 401, call.authenticated, !renewedToken, case .credentials = endpoint.authentication,
                    DirectusClientError.classify(status: 401, body: answer.body)
                        == .unauthorized(expired: true, message: "Token expired.")
                {
                    // Rejected before any work was done: renewing and sending again is safe, apply included.
                    renewedToken = true
                    session.map {
                        session = Session(accessToken: $0.accessToken, refreshToken: $0.refreshToken, expiresAt: .now)
                    }
                    attempt -= 1
                    continue
                }
                let retryable = [502, 503, 504, 429].contains(answer.status)
                if retryable && attempt < attempts {
                    let delay = answer.status == 429 ? retryAfter(answer.headers) ?? backoff(attempt) : backoff(attempt)
                    logger.warning(
                        "\(call.operation): HTTP \(answer.status), retrying in \(DirectusClientError.format(delay))",
                        metadata: ["http.status": "\(answer.status)", "attempt": "\(attempt)"])
                    try await pause(delay)
                    continue
                }
                if answer.status == 429 {
                    throw DirectusClientError.rateLimited(retryAfter: retryAfter(answer.headers))
                }
                return answer
            case .failure(let error):
                if !call.isIdempotent, call.body != nil, error.isTransportFailure, !notSent(error) {
                    throw DirectusClientError.applyOutcomeUnknown(reason: error.description)
                }
                if error.isTransient && attempt < attempts {
                    let delay = backoff(attempt)
                    logger.warning(
                        "\(call.operation): \(error), retrying in \(DirectusClientError.format(delay))",
                        metadata: ["attempt": "\(attempt)"])
                    try await pause(delay)
                    continue
                }
                throw error
            }
        }
    }

    /// Whether a transport failure happened before the request could leave (no connection, TLS refused).
    private func notSent(_ error: DirectusClientError) -> Bool {
        guard case .unreachable(_, let reason) = error else { return false }
        return reason.hasPrefix(Self.connectFailurePrefix)
    }

    static let connectFailurePrefix = "could not connect: "

    private func pause(_ delay: Duration) async throws(DirectusClientError) {
        do {
            try await sleep(delay)
        } catch {
            throw DirectusClientError.timeout(operation: "waiting to retry", after: delay)
        }
    }

    private func backoff(_ attempt: Int) -> Duration {
        jitter(endpoint.retry.backoff(afterAttempt: attempt))
    }

    private func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers["Retry-After"].first, let seconds = Double(value.trimmingCharacters(in: .whitespaces))
        else {
            return nil
        }
        return .milliseconds(Int(min(seconds, endpoint.retry.maxDelay.seconds) * 1000))
    }

    /// One HTTP exchange, with the deadline and the body limit.
    private func send(_ call: Call) async throws(DirectusClientError) -> Answer {
        var request = HTTPClientRequest(url: endpoint.url + call.path + (call.query.isEmpty ? "" : "?" + call.query))
        request.method = call.method
        request.tlsConfiguration = tlsConfiguration
        request.headers.add(name: "User-Agent", value: "directus-promoter")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in call.extraHeaders { request.headers.add(name: name, value: value) }
        if call.authenticated {
            let token = try await accessToken()
            request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
        }
        switch call.body {
        case .json(let bytes)?:
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case .multipart(let boundary, let bytes)?:
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case nil:
            break
        }
        let started = ContinuousClock.now
        let deadline = NIODeadline.now() + .milliseconds(Int64(endpoint.requestTimeout.seconds * 1000))
        do {
            let response = try await http.execute(request, deadline: deadline)
            let announced = response.headers["Content-Length"].first.flatMap(Int.init)
            if let announced, announced > call.maxBytes {
                throw DirectusClientError.responseTooLarge(limit: call.maxBytes)
            }
            // Straight into one array of the announced size: a large snapshot is held once, not in a growing
            // buffer and then a copy.
            var collected: [UInt8] = []
            if let announced { collected.reserveCapacity(announced) }
            for try await chunk in response.body {
                if collected.count + chunk.readableBytes > call.maxBytes {
                    throw DirectusClientError.responseTooLarge(limit: call.maxBytes)
                }
                collected.append(contentsOf: chunk.readableBytesView)
            }
            let status = Int(response.status.code)
            logger.debug(
                "\(call.method.rawValue) \(call.path) → \(status)",
                metadata: [
                    "http.method": "\(call.method.rawValue)", "http.path": "\(call.path)", "http.status": "\(status)",
                    "duration_ms": "\(Int((ContinuousClock.now - started).seconds * 1000))",
                ])
            return Answer(
                status: status, headers: response.headers,
                body: collected)
        } catch let error as DirectusClientError {
            throw error
        } catch {
            throw transportError(error, operation: call.operation)
        }
    }

    /// A transport failure as a typed error.
    private func transportError(_ error: any Error, operation: String) -> DirectusClientError {
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timeout(operation: operation, after: endpoint.requestTimeout)
            case .connectTimeout, .tlsHandshakeTimeout:
                return .unreachable(url: endpoint.url, reason: Self.connectFailurePrefix + "connection timed out")
            case .remoteConnectionClosed:
                return .unreachable(
                    url: endpoint.url, reason: "the connection was closed before the answer was complete")
            default:
                return .unreachable(url: endpoint.url, reason: "\(httpError)")
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError || String(describing: type(of: error)).contains("SSL") {
            return .unreachable(url: endpoint.url, reason: Self.connectFailurePrefix + "TLS: \(error)")
        }
        if error is NIOConnectionError || error is IOError {
            return .unreachable(url: endpoint.url, reason: Self.connectFailurePrefix + "\(error)")
        }
        return .unreachable(url: endpoint.url, reason: "\(error)")
    }
}

extension DirectusClientError {
    /// A failure of the connection rather than an answer from Directus.
    var isTransportFailure: Bool {
        switch self {
        case .unreachable, .timeout: true
        default: false
        }
    }
}
