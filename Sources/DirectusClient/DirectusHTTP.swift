import AsyncHTTPClient
import DirectusSchema
import NIOCore

/// The process's one HTTP client for talking to Directus.
public enum DirectusHTTP {
    /// An HTTP client that fails at once when a connection cannot be made, instead of retrying until the request
    /// deadline: `DirectusClient` has its own retry policy for safe calls, and a refused apply must be reported as
    /// not sent. It follows no redirect: a redirected request would carry its token, or a signed webhook body, to
    /// whatever address the answer names (`DirectusClient` follows same-host redirects of GETs itself when asked).
    /// Shut it down with `shutdown()` when the process ends.
    public static func makeClient(connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .milliseconds(Int64(Int(saturating: connectTimeout.seconds * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .ratio(20))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
