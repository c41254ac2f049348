import AsyncHTTPClient
import DirectusClient
import Foundation
import Logging
import PromotionStore
import ServiceLifecycle
import UnixSignals

/// The webhook notifier in force (replaced on reload).
actor Notifiers {
    private(set) var current: WebhookNotifier
    init(_ notifier: WebhookNotifier) { current = notifier }
    func replace(_ notifier: WebhookNotifier) { current = notifier }
}
