import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// Webhook delivery: its own loop, so a slow receiver never holds up a promotion. On shutdown it sends what is
/// due once more (each delivery bounded by its deadline), so `poll` delivers the notifications of its tick.
struct WebhookDelivery: Service {
    let shared: DaemonApp.Shared
    let clock: any Clock<Duration>

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let webhooks = await shared.webhooks.current
                if await !webhooks.isEmpty { await webhooks.runOnce() }
                try? await clock.sleep(for: .seconds(1))
            }
        } onGracefulShutdown: {
        }
        let webhooks = await shared.webhooks.current
        if await !webhooks.isEmpty { await webhooks.runOnce() }
    }
}
