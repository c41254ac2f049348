import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The configuration in force, readable from the HTTP endpoint's tasks while the loop replaces it on reload.
public final class CurrentConfiguration: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: DaemonConfiguration

    init(_ configuration: DaemonConfiguration) { stored = configuration }

    public var value: DaemonConfiguration {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
