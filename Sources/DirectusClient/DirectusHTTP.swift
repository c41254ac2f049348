import AsyncHTTPClient
import NIOCore

/// The process's one HTTP client for talking to Directus.
public enum DirectusHTTP {
    /// An HTTP client that fails at once when a connection cannot be made, instead of retrying until the request
    /// deadline: `DirectusClient` has its own retry policy for safe calls, and a refused apply must be reported as
    /// not sent. Shut it down with `shutdown()` when the process ends.
    public static func makeClient(connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .milliseconds(Int64(connectTimeout.seconds * 1000))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .enabled(limit: .ratio(20))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
