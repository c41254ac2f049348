import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// `plan` and `poll` decide through the daemon's own code: `plan ENV` prints the plan the daemon applies (ignore
/// rules, system indexes and `destructive: never` included), and `poll` runs the daemon's services for one tick,
/// webhook delivery included.
@Suite("plan and poll, as the daemon", .serialized)
struct PlanAndPollTests {
    /// Development on 11.12 (its snapshots carry no system indexes), targets on 11.17.4, forced across versions.
    /// Development adds a field, an ignored field, and deletes one.
    func withOldSource(webhook: String? = nil, _ body: @Sendable (DaemonHarness) async throws -> Void) async throws {
        var desired = DemoSchema.withSummary
        desired.fields = desired.fields.filter { $0["field"]?.stringValue != "body" }
        desired.fields.append(
            DemoSchema.field("articles", "internal_note", type: "text", dataType: "text", length: nil, nullable: true))
        desired.root["directus"] = "11.12.0"
        desired.root["systemFields"] = nil
        let old = EmulatorConfiguration.withAdminToken(daemonToken, version: "11.12.0")
        let current = EmulatorConfiguration.withAdminToken(daemonToken, version: DemoSchema.version)
        let dev = try EmulatedInstance(configuration: old, snapshot: desired)
        var indexed = DemoSchema.initial
        indexed.root["systemFields"] = [
            ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]],
            ["collection": "directus_revisions", "field": "activity", "schema": ["is_indexed": true]],
        ]
        let staging = try EmulatedInstance(configuration: current, snapshot: indexed)
        let production = try EmulatedInstance(configuration: current, snapshot: indexed)
        try await withScratchDirectory { directory in
            try await withEmulator(dev) { devURL in
                try await withEmulator(staging) { stagingURL in
                    try await withEmulator(production) { productionURL in
                        let harness = DaemonHarness(
                            dev: dev, staging: staging, production: production,
                            urls: ["development": devURL, "staging": stagingURL, "production": productionURL],
                            directory: directory)
                        try """
                        poll: {interval: 200ms, jitter: 0}
                        state_directory: \(harness.stateDirectory)
                        environments:
                          - {name: development, url: "\(devURL)", token_env: DP_E2E_TOKEN}
                          - name: staging
                            url: "\(stagingURL)"
                            token_env: DP_E2E_TOKEN
                            force: true
                            ignore: ["articles.internal_*"]
                            destructive: never
                          - {name: production, url: "\(productionURL)", token_env: DP_E2E_TOKEN, force: true}
                        \(webhook.map { "webhooks:\n  - {name: hook, url: \"\($0)\", events: [applied, approval_needed]}" } ?? "")
                        """.write(toFile: harness.configPath, atomically: true, encoding: .utf8)
                        try await body(harness)
                    }
                }
            }
        }
    }

    @Test("plan ENV prints the plan the daemon applies: ignore rules, system indexes, destructive: never")
    func planIsTheDaemonsPlan() async throws {
        try await withOldSource { h in
            let indexesBefore = (await h.staging.schema()).root["systemFields"]?.arrayValue?.count ?? 0
            #expect(indexesBefore > 0, "an 11.17 target has system indexes")

            let text = try await h.cli(["plan", "staging"])
            #expect(text.status == 2, "\(text.standardError)")
            #expect(text.standardOutput.contains("+ field articles.summary"))
            #expect(!text.standardOutput.contains("internal_note"), "ignored")
            #expect(!text.standardOutput.contains("- field articles.body"), "never applied")
            #expect(text.standardOutput.contains("Left out: 1 ignored entity left out"))
            #expect(
                text.standardOutput.contains("Left out: never applied (destructive: never): delete field articles.body")
            )
            let planned = try JSONParser.parse(
                Array(try await h.cli(["plan", "staging", "--json"]).standardOutput.utf8))

            #expect(try await h.cli(["poll"]).status == 3, "production waits for approval")
            let promotion = try #require(h.latest("staging"))
            #expect(promotion.state == .applied)
            let shown = try JSONParser.parse(
                Array(try await h.cli(["show", "\(promotion.id)", "--json"]).standardOutput.utf8))
            #expect(shown["plan"] == planned["plan"], "the plan printed is the plan applied")

            let schema = await h.staging.schema()
            let fields = schema.fields.compactMap { $0["field"]?.stringValue }
            #expect(fields.contains("summary") && fields.contains("body") && !fields.contains("internal_note"))
            #expect(schema.root["systemFields"]?.arrayValue?.count == indexesBefore, "its system indexes kept")
        }
    }

    @Test("poll delivers the webhooks its tick queued before it exits")
    func pollDeliversWebhooks() async throws {
        let receiver = try await WebhookReceiver()
        try await withOldSource(webhook: receiver.url) { h in
            let poll = try await h.cli(["poll"])
            #expect(poll.status == 3, "\(poll.standardError)")
            let kinds = receiver.requests.compactMap { $0.headers["x-directus-promoter-event"] }
            #expect(kinds.contains("applied"), "\(kinds)")
            #expect(kinds.contains("approval_needed"), "\(kinds)")
            let deliveries = try h.store().deliveries(status: .delivered, limit: 10)
            #expect(deliveries.count == kinds.count)
        }
        await receiver.close()
    }
}
