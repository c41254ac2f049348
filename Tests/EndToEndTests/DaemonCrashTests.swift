import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon killed with SIGKILL at random moments, over and over, while schema changes flow and people approve.
@Suite("daemon crashes", .serialized)
struct DaemonCrashTests {
    /// A small deterministic generator, so that a failing run can be replayed from its printed seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11 ^ state
        }
    }

    static func schema(fields: Int) -> Snapshot {
        var snapshot = DemoSchema.initial
        for index in 0..<fields {
            snapshot.fields.append(
                DemoSchema.field(
                    "articles", "extra_\(index)", type: "integer", dataType: "integer", length: nil, nullable: true))
        }
        return snapshot
    }

    /// Approves every production promotion that waits, as an operator at the CLI would.
    static func approvePending(_ h: DaemonHarness) {
        guard FileManager.default.fileExists(atPath: h.databasePath), let store = try? h.store(),
            let waiting = try? store.promotions(inStates: [.awaitingApproval])
        else { return }
        for promotion in waiting where (try? store.decisions(promotionID: promotion.id))?.isEmpty ?? false {
            _ = try? store.recordDecision(
                promotionID: promotion.id, kind: .approve, actor: "crash-test", comment: nil, at: Date())
        }
    }

    @Test("no diff applied twice, no event missing, every environment converges")
    func sigkillAtRandomMoments() async throws {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        print("crash test seed: \(seed)")
        var random = SeededGenerator(state: seed)
        let lifetimes = (0..<24).map { _ in Double.random(in: 0.1...1.0, using: &random) }
        try await withDaemonHarness(dev: Self.schema(fields: 1)) { h in
            // Slow applies, so that many kills land while an apply is in flight.
            for target in [h.staging, h.production] {
                await target.inject(FaultRule(.delayResponse(.milliseconds(250)), path: "/schema/apply", times: nil))
            }
            var fields = 1
            var kills = 0
            for cycle in 0..<24 {
                if cycle % 3 == 2 {
                    fields += 1
                    await h.dev.replaceSchema(Self.schema(fields: fields))
                }
                let daemon = try h.startDaemon()
                let lifetime = lifetimes[cycle]
                let deadline = Date().addingTimeInterval(lifetime)
                while Date() < deadline {
                    Self.approvePending(h)
                    try await Task.sleep(for: .milliseconds(30))
                }
                #expect(try await stop(daemon, signal: SIGKILL) != nil, "the daemon dies")
                kills += 1
            }
            // Let it finish in peace.
            let daemon = try h.startDaemon()
            let done = try await eventually(60) {
                Self.approvePending(h)
                guard await h.converged() else { return false }
                return h.latest("production")?.state == .applied && h.latest("staging")?.state == .applied
            }
            #expect(done, "every environment converges (seed \(seed))")
            #expect(try await stop(daemon) == 0)

            let store = try h.store()
            #expect(try store.integrityCheck() == "ok")
            #expect(try store.pendingDecisions().isEmpty, "every decision was acted on")
            let all = try store.history(limit: 10_000)
            for target in ["staging", "production"] {
                let instance = target == "staging" ? h.staging : h.production
                let promotions = all.filter { $0.target == target }
                let applied = promotions.filter { $0.state == .applied && $0.attempts > 0 }
                #expect(
                    await instance.applyCount() == applied.count,
                    "each effective apply on \(target) belongs to a different promotion (seed \(seed))")
                #expect(!promotions.contains { $0.state == .failed || $0.state == .blocked }, "seed \(seed)")
            }
            for promotion in all {
                let events = try store.events(promotionID: promotion.id)
                #expect(events.first?.kind == "promotion.created")
                let transitions = events.filter {
                    $0.kind.hasPrefix("promotion.")
                        && !["promotion.created", "promotion.resumed", "promotion.waiting"]
                            .contains($0.kind)
                }
                #expect(
                    transitions.last.map { $0.kind == "promotion.\(promotion.state)" } ?? (promotion.state == .queued),
                    "the last transition event matches promotion \(promotion.id)'s state (seed \(seed))")
                #expect(
                    transitions.filter { $0.kind == "promotion.applying" }.count == promotion.attempts,
                    "one applying event per apply sent for promotion \(promotion.id) (seed \(seed))")
            }
            let midApply = try store.recentEvents(limit: 10_000, kind: "promotion.resumed").filter {
                $0.message.contains("mid-apply")
            }.count
            print(
                "crash test: \(kills) kills (\(midApply) mid-apply), \(all.count) promotions, \(fields) schema versions"
            )
        }
    }
}
