import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// A transport failure in plain words, naming the host and port it concerns, instead of a library's internals
/// (`connection reset (error set): Connection refused) (errno: 111)`).
enum TransportFailure {
    /// `error` as one sentence about `host:port`.
    static func describe(_ error: any Error, host: String, port: Int) -> String {
        let place = "\(host):\(port)"
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "cannot resolve the name \(connection.host) (DNS)"
            }
            if let first = connection.connectionErrors.first {
                return describe(first.error, host: host, port: port)
            }
            return "cannot connect to \(place)"
        }
        if let io = error as? IOError { return describe(errno: io.errnoCode, place: place) }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout(let timeout):
                return "no connection to \(place) within \(timeout.nanoseconds / 1_000_000_000) s"
            case .eof, .inputClosed, .outputClosed, .ioOnClosedChannel, .alreadyClosed:
                return "\(place) closed the connection"
            default: return "the connection to \(place) failed (\(channel))"
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError || String(describing: type(of: error)).contains("SSL") {
            return "the TLS handshake with \(place) failed (\(error)): check the certificate, or tls.ca_bundle"
        }
        if let http = error as? HTTPClientError {
            switch http {
            case .connectTimeout: return "no connection to \(place) within the connect timeout"
            case .tlsHandshakeTimeout: return "the TLS handshake with \(place) timed out"
            case .remoteConnectionClosed: return "\(place) closed the connection before the answer was complete"
            case .invalidURL: return "the URL is not one a request can be sent to"
            default: return "the request to \(place) failed (\(http))"
            }
        }
        return "the request to \(place) failed (\(error))"
    }

    static func describe(errno code: CInt, place: String) -> String {
        switch code {
        case ECONNREFUSED: "\(place) refused the connection (nothing listens there)"
        case ECONNRESET: "\(place) reset the connection"
        case ETIMEDOUT: "no answer from \(place) (the connection timed out)"
        case EHOSTUNREACH, ENETUNREACH: "there is no route to \(place)"
        case EPIPE: "\(place) closed the connection while the request was sent"
        default: "the connection to \(place) failed: \(String(cString: strerror(code)))"
        }
    }
}
