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
    var budget: Budget?
    /// The version `/server/info` reported, and when (`serverVersion`).
    var knownVersion: (version: DirectusVersion?, at: ContinuousClock.Instant)?

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
        /// Counted against the tick's budget and stopped when it runs out. An apply is not: once it is due it is
        /// sent with its whole request timeout.
        var budgeted = true
    }

    enum Upload {
        case json([UInt8])
        case multipart(boundary: String, bytes: [UInt8])

        /// The bytes sent.
        var count: Int {
            switch self {
            case .json(let bytes), .multipart(_, let bytes): bytes.count
            }
        }
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// The time this client may spend on requests in one tick of the daemon, and what it has spent.
    struct Budget {
        var limit: Duration
        var spent: Duration = .zero
        var remaining: Duration { limit - spent }
    }

    /// Starts a new budget (or none): each request after this is counted against it, and one that would pass it is
    /// cut short (`budgetExhausted`). The daemon gives every environment its own budget at each tick, so one that
    /// stalls cannot hold up the others for longer than that.
    public func startBudget(_ limit: Duration?) {
        budget = limit.map { Budget(limit: $0) }
    }

    /// How many redirects a GET follows when `followRedirects` is set.
    static let maxRedirects = 5

    /// Sends `call`, retrying when it is safe and useful, renewing an expired token once.
    func perform(_ call: Call) async throws(DirectusClientError) -> Answer {
        let attempts = call.isIdempotent ? max(1, endpoint.retry.maxAttempts) : 1
        var renewedToken = false
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<Answer, DirectusClientError>
            do {
                outcome = .success(try await followingRedirects(call))
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
                    try await pause(delay, call)
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
                if case .budgetExhausted = error { throw error }
                if error.isTransient && attempt < attempts {
                    let delay = backoff(attempt)
                    logger.warning(
                        "\(call.operation): \(error), retrying in \(DirectusClientError.format(delay))",
                        metadata: ["attempt": "\(attempt)"])
                    try await pause(delay, call)
                    continue
                }
                throw error
            }
        }
    }

    /// One attempt, following same-host redirects of a GET when the endpoint allows it; any other redirect is an
    /// error that names where it pointed (following it would send the token, or a signed body, elsewhere).
    private func followingRedirects(_ call: Call) async throws(DirectusClientError) -> Answer {
        var url = endpoint.url + call.path + (call.query.isEmpty ? "" : "?" + call.query)
        var visited: Set<String> = [url]
        while true {
            let answer = try await sendWithinDeadline(call, url: url)
            guard [301, 302, 303, 307, 308].contains(answer.status) else { return answer }
            let location = answer.headers["Location"].first ?? ""
            guard call.method == .GET, endpoint.followRedirects,
                let next = Self.redirectTarget(location, from: url), visited.count <= Self.maxRedirects,
                visited.insert(next).inserted
            else {
                throw DirectusClientError.redirected(status: answer.status, location: String(location.prefix(200)))
            }
            logger.debug("\(call.operation): following a redirect (\(answer.status))")
            url = next
        }
    }

    /// Where a redirect leads when it may be followed: an http or https URL on the same host (http may become
    /// https, never the other way round).
    static func redirectTarget(_ location: String, from current: String) -> String? {
        guard let base = URL(string: current), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = target.host?.lowercased(), host == base.host?.lowercased(),
            !(base.scheme?.lowercased() == "https" && scheme == "http")
        else { return nil }
        return target.absoluteString
    }

    /// Whether a transport failure happened before the request could leave (no connection, TLS refused).
    private func notSent(_ error: DirectusClientError) -> Bool {
        guard case .unreachable(_, let reason) = error else { return false }
        return reason.hasPrefix(Self.connectFailurePrefix)
    }

    static let connectFailurePrefix = "could not connect: "

    /// Waits before a retry, within the budget; a cancelled wait (a shutdown) ends the call.
    private func pause(_ delay: Duration, _ call: Call) async throws(DirectusClientError) {
        if call.budgeted, let budget, delay >= budget.remaining {
            throw DirectusClientError.budgetExhausted(operation: call.operation, budget: budget.limit)
        }
        let started = ContinuousClock.now
        defer { spend(ContinuousClock.now - started, call) }
        do {
            try await sleep(delay)
        } catch {
            throw DirectusClientError.cancelled(operation: call.operation)
        }
        if Task.isCancelled { throw DirectusClientError.cancelled(operation: call.operation) }
    }

    private func spend(_ duration: Duration, _ call: Call) {
        if call.budgeted { budget?.spent += duration }
    }

    private func backoff(_ attempt: Int) -> Duration {
        jitter(endpoint.retry.backoff(afterAttempt: attempt))
    }

    /// `Retry-After` in seconds, capped at the retry policy's longest delay; nil when absent or not a usable number
    /// (an HTTP date, NaN, infinity, a negative number).
    func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers["Retry-After"].first, value.utf8.count <= 32,
            let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0
        else {
            return nil
        }
        return Duration.checkedSeconds(min(seconds, endpoint.retry.maxDelay.seconds), atMost: 86_400)
    }

    /// One exchange under one deadline that covers connecting, the headers and the whole body: a server that
    /// answers its headers and then stalls, or trickles the body, is cut off when the deadline passes. The
    /// deadline is the request timeout, or what is left of the budget when that is less.
    private func sendWithinDeadline(_ call: Call, url: String) async throws(DirectusClientError) -> Answer {
        if call.budgeted, let budget, budget.remaining <= .zero {
            throw DirectusClientError.budgetExhausted(operation: call.operation, budget: budget.limit)
        }
        let timeout =
            call.budgeted
            ? min(endpoint.requestTimeout, budget?.remaining ?? endpoint.requestTimeout)
            : endpoint.requestTimeout
        if Task.isCancelled { throw DirectusClientError.cancelled(operation: call.operation) }
        let started = ContinuousClock.now
        defer { spend(ContinuousClock.now - started, call) }
        let outcome = await Deadline.run(within: timeout) { () -> Result<Answer, DirectusClientError> in
            do throws(DirectusClientError) {
                return .success(try await self.send(call, url: url, timeout: timeout))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .finished(let result):
            if Task.isCancelled { throw DirectusClientError.cancelled(operation: call.operation) }
            return try result.get()
        case .timedOut:
            if call.budgeted, let budget, timeout < endpoint.requestTimeout {
                throw DirectusClientError.budgetExhausted(operation: call.operation, budget: budget.limit)
            }
            throw DirectusClientError.timeout(operation: call.operation, after: timeout)
        case .cancelled:
            throw DirectusClientError.cancelled(operation: call.operation)
        }
    }

    /// One HTTP exchange: the request, then the body read under the byte limit. Cancellation (the deadline, a
    /// shutdown) closes the connection.
    private func send(_ call: Call, url: String, timeout: Duration) async throws(DirectusClientError) -> Answer {
        var request = HTTPClientRequest(url: url)
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
        let deadline = NIODeadline.now() + .milliseconds(Int64(Int(saturating: timeout.seconds * 1000)))
        do {
            let response = try await http.execute(request, deadline: deadline)
            let announced = response.headers["Content-Length"].first.flatMap { Int($0) }
            if let announced, announced > call.maxBytes {
                throw DirectusClientError.responseTooLarge(limit: call.maxBytes)
            }
            var body = ResponseBody(limit: call.maxBytes, announced: announced)
            do {
                for try await chunk in response.body {
                    try chunk.withUnsafeReadableBytes { bytes throws(ResponseBody.TooLarge) in try body.append(bytes) }
                }
            } catch is ResponseBody.TooLarge {
                throw DirectusClientError.responseTooLarge(limit: call.maxBytes)
            }
            // A cancelled read may end like a complete one: never take a cut-off body for the answer.
            if Task.isCancelled { throw DirectusClientError.cancelled(operation: call.operation) }
            let status = Int(response.status.code)
            logger.debug(
                "\(call.method.rawValue) \(call.path) → \(status)",
                metadata: [
                    "http.method": "\(call.method.rawValue)", "http.path": "\(call.path)", "http.status": "\(status)",
                    "duration_ms": "\(Int(saturating: (ContinuousClock.now - started).seconds * 1000))",
                ])
            return Answer(status: status, headers: response.headers, body: body.finish())
        } catch let error as DirectusClientError {
            throw error
        } catch {
            if Task.isCancelled { throw DirectusClientError.cancelled(operation: call.operation) }
            throw transportError(error, operation: call.operation, timeout: timeout)
        }
    }

    /// A transport failure as a typed error, in plain words naming the host and port.
    private func transportError(_ error: any Error, operation: String, timeout: Duration) -> DirectusClientError {
        if error is CancellationError { return .cancelled(operation: operation) }
        let words = TransportFailure.describe(error, host: host, port: port)
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timeout(operation: operation, after: timeout)
            case .connectTimeout, .tlsHandshakeTimeout:
                return .unreachable(url: endpoint.url, reason: Self.connectFailurePrefix + words)
            case .cancelled:
                return .cancelled(operation: operation)
            default:
                return .unreachable(url: endpoint.url, reason: words)
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError || String(describing: type(of: error)).contains("SSL")
            || error is NIOConnectionError || error is IOError
        {
            return .unreachable(url: endpoint.url, reason: Self.connectFailurePrefix + words)
        }
        return .unreachable(url: endpoint.url, reason: words)
    }

    /// The host and port requests go to, for messages.
    var host: String { URL(string: endpoint.url)?.host ?? endpoint.url }
    var port: Int {
        let url = URL(string: endpoint.url)
        return url?.port ?? (url?.scheme?.lowercased() == "https" ? 443 : 80)
    }
}

extension DirectusClientError {
    /// A failure of the connection rather than an answer from Directus.
    var isTransportFailure: Bool {
        switch self {
        case .unreachable, .timeout, .budgetExhausted: true
        default: false
        }
    }
}
