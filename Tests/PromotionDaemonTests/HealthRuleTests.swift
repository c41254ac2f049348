import Foundation
import PromotionDaemon
import Testing

@Suite("/healthz rule")
struct HealthRuleTests {
    let rule = HealthRule(pollInterval: .seconds(10))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func problem(latest: Double?, error: String? = nil, success: Double?) -> String? {
        rule.problem(
            environment: "production", latestAt: latest.map { now.addingTimeInterval(-$0) }, latestError: error,
            lastSuccessAt: success.map { now.addingTimeInterval(-$0) }, now: now)
    }

    @Test("thresholds: failing after three intervals (at least 1 s), stalled after three intervals (at least 2 min)")
    func thresholds() {
        #expect(rule.failingAfter == 30)
        #expect(rule.stalledAfter == 120)
        #expect(HealthRule(pollInterval: .milliseconds(100)).failingAfter == 1)
        #expect(HealthRule(pollInterval: .seconds(300)).stalledAfter == 900)
    }

    @Test("a failing environment is a problem once no poll has succeeded for three intervals")
    func failing() {
        #expect(problem(latest: 1, error: "HTTP 503", success: 20) == nil, "one failed poll is not a problem")
        #expect(
            problem(latest: 1, error: "HTTP 503", success: 31)
                == "production: last successful poll 31 s ago (HTTP 503)")
        #expect(
            problem(latest: 1, error: "connection refused", success: nil)
                == "production: never polled successfully (connection refused)")
        #expect(problem(latest: nil, success: nil) == "production: never polled")
    }

    @Test("a healthy environment polled late (a slow tick) is not failing; one not polled for long is stalled")
    func stalled() {
        #expect(problem(latest: 45, success: 45) == nil, "slower than three intervals, but answering")
        #expect(problem(latest: 121, success: 121) == "production: not polled for 121 s (the daemon is not polling)")
    }
}
