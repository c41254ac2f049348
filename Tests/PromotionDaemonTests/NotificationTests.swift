import Crypto
import DirectusClient
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

@Suite("Webhooks", .serialized)
struct NotificationTests {
    static let signingSecret = "whsec-engine-test-4411"

    func hook(_ receiver: WebhookReceiver, format: WebhookConfiguration.Format = .json) -> WebhookConfiguration {
        WebhookConfiguration(
            name: "ops", url: .inline(Secret(receiver.url)), format: format,
            secret: .inline(Secret(Self.signingSecret)))
    }

    func verify(_ request: WebhookReceiver.Request) -> Bool {
        let mac = HMAC<SHA256>.authenticationCode(
            for: request.body, using: SymmetricKey(data: Array(Self.signingSecret.utf8)))
        let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
        return request.headers["x-directus-promoter-signature-256"] == expected
    }

    @Test("each event is delivered once, signed, retried after failures, and delivered after a restart")
    func deliveries() async throws {
        try await withPipeline { h in
            let receiver = try await WebhookReceiver()
            defer { Task { await receiver.close() } }
            let notifier = try WebhookNotifier(
                webhooks: [hook(receiver)], store: h.store, httpClient: httpClient, now: h.now)
            await notifier.runOnce()
            let engine = try h.engine()
            _ = await engine.tick()
            #expect(await notifier.runOnce() == 2)
            let first = receiver.requests
            #expect(first.map { $0.headers["x-directus-promoter-event"] } == ["applied", "approval_needed"])
            #expect(first.allSatisfy(verify), "the signature verifies")
            let approval = try JSONParser.parse(first[1].body)
            #expect(approval["version"] == 1)
            #expect(approval["kind"] == "approval_needed")
            #expect(approval["environment"] == "production")
            #expect(approval["promotion"]?["id"]?.numberValue?.intValue == Int(try h.latest("production").id))
            #expect(approval["promotion"]?["diff"]?["creates"] == 1)
            #expect(approval["destructive"] == false)
            #expect(!first.contains { String(decoding: $0.body, as: UTF8.self).contains(Self.signingSecret) })
            #expect(!first.contains { String(decoding: $0.body, as: UTF8.self).contains(adminToken) })

            // Once per occurrence: nothing new, nothing sent.
            #expect(await notifier.runOnce() == 0)
            #expect(receiver.requests.count == 2)

            // The receiver fails twice; the delivery waits with backoff and survives a restart of the notifier.
            receiver.failNext(2)
            try h.decide(.approve, "production")
            _ = await engine.tick()
            #expect(await notifier.runOnce() == 0)
            #expect(await notifier.runOnce() == 0, "not due yet: backoff")
            h.clock.advance(by: 5)
            #expect(await notifier.runOnce() == 0)
            let pending = try h.store.deliveries(status: .pending)
            #expect(pending.count == 1 && pending[0].attempts == 2)
            #expect(pending[0].lastError == "the receiver answered 500")
            let restarted = try WebhookNotifier(
                webhooks: [hook(receiver)], store: h.store, httpClient: httpClient, now: h.now)
            h.clock.advance(by: 10)
            #expect(await restarted.runOnce() == 1)
            let applied = receiver.requests.filter { $0.headers["x-directus-promoter-event"] == "applied" }
            #expect(applied.count == 4, "staging once; production three attempts")
            #expect(Set(applied.dropFirst().map { $0.headers["x-directus-promoter-delivery"] }).count == 1)
            #expect(try h.store.deliveries(status: .delivered).count == 3)
        }
    }

    @Test("a delivery given up after its retries shows in status; drift events are sent; Slack gets one paragraph")
    func failuresDriftAndSlack() async throws {
        try await withPipeline { h in
            let receiver = try await WebhookReceiver()
            defer { Task { await receiver.close() } }
            let notifier = try WebhookNotifier(
                webhooks: [hook(receiver, format: .slack)], store: h.store, httpClient: httpClient, now: h.now)
            await notifier.runOnce()
            let engine = try h.engine()
            _ = await engine.tick()
            await notifier.runOnce()
            let text = try JSONParser.parse(receiver.requests[1].body)["text"]?.stringValue ?? ""
            #expect(text.contains("production"))
            #expect(text.contains("directus-promoter approve"))

            try h.decide(.approve, "production")
            _ = await engine.tick()
            await notifier.runOnce()
            await h.production.makeDrift()
            _ = await engine.tick()
            await notifier.runOnce()
            #expect(receiver.requests.last?.headers["x-directus-promoter-event"] == "drift_detected")

            receiver.failNext(100)
            _ = try h.store.acceptDrift(environment: "production", actor: "ops", comment: nil, at: h.now())
            for _ in 0..<WebhookNotifier.maxAttempts {
                await notifier.runOnce()
                h.clock.advance(by: 3600)
            }
            let failed = try h.store.deliveries(status: .failed)
            #expect(failed.count == 1)
            #expect(failed.first?.kind == "drift_resolved")
        }
    }

    @Test("event kinds map to notifications; backoff grows to an hour")
    func units() {
        #expect(WebhookConfiguration.Kind.of(eventKind: "promotion.awaiting_approval") == .approvalNeeded)
        #expect(WebhookConfiguration.Kind.of(eventKind: "drift.accepted") == .driftResolved)
        #expect(WebhookConfiguration.Kind.of(eventKind: "promotion.planning") == nil)
        #expect(WebhookNotifier.backoff(afterAttempt: 1) == 5)
        #expect(WebhookNotifier.backoff(afterAttempt: 3) == 20)
        #expect(WebhookNotifier.backoff(afterAttempt: 20) == 3600)
        // The well-known HMAC-SHA256 vector.
        #expect(
            WebhookNotifier.signature(Array("The quick brown fox jumps over the lazy dog".utf8), secret: Secret("key"))
                == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }
}
