import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The read-only HTTP endpoint as a service.
struct StatusService: Service {
    let server: StatusServer
    let logger: Logger
    let onListening: @Sendable (String) -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [server, logger, onListening] in
                try await server.run { address in
                    logger.notice("serving /metrics, /healthz and /status on \(address)")
                    onListening(address)
                }
            }
        } catch is CancellationError {
        } catch {
            logger.error("cannot serve on \(server.host):\(server.port): \(error)")
        }
    }
}
