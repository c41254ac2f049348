import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// `WATCHDOG=1` at the interval systemd asks for.
struct Watchdog: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let clock: any Clock<Duration>

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [notifier, interval, clock] in
            while !Task.isCancelled {
                notifier.watchdog()
                try await clock.sleep(for: interval)
            }
        }
    }
}
