import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import NIOCore
import PromotionStore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The read-only HTTP endpoint as a service.
struct StatusService: Service {
    let server: StatusServer
    let logger: Logger
    let onListening: @Sendable (String) -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [server, logger, onListening] in
                try await server.run { address in
                    logger.notice("serving the web view, /metrics, /healthz and /status on \(address)")
                    onListening(address)
                }
            }
        } catch is CancellationError {
        } catch {
            logger.error("cannot serve the web view and /metrics: \(Self.describe(error, server: server))")
        }
    }

    /// A listening failure in plain words, naming the address.
    static func describe(_ error: any Error, server: StatusServer) -> String {
        let place = "\(server.host):\(server.port)"
        guard let io = error as? IOError else { return "listening on \(place) failed (\(error))" }
        switch io.errnoCode {
        case EADDRINUSE: return "another program already listens on \(place) (http.listen)"
        case EACCES: return "no permission to listen on \(place) (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: return "\(server.host) is not an address of this machine (http.listen)"
        default: return "listening on \(place) failed: \(String(cString: strerror(io.errnoCode)))"
        }
    }
}
