import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The configuration in force, readable from the HTTP endpoint's tasks while the loop replaces it on reload, with
/// the web view's deciders read from it (again at each reload, so a rotated credentials file takes effect).
public final class CurrentConfiguration: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: DaemonConfiguration
    private var storedDeciders: [String: Secret]?

    init(_ configuration: DaemonConfiguration) {
        stored = configuration
        storedDeciders = (try? configuration.deciders()) ?? nil
    }

    public var value: DaemonConfiguration {
        get { lock.withLock { stored } }
        set {
            let deciders = (try? newValue.deciders()) ?? nil
            lock.withLock {
                stored = newValue
                storedDeciders = deciders
            }
        }
    }

    /// Who may decide in the web view now (nil: read-only).
    public var deciders: [String: Secret]? { lock.withLock { storedDeciders } }
}
