import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon as a real process against a staging that misbehaves (a `HostileServer` in front of its emulator),
/// development and production behaving. For each fault: the daemon keeps polling development and production, its
/// memory stays within the snapshot limit, it stops on SIGTERM within 10 s, and the audit log says what happened.
@Suite("daemon against hostile servers", .serialized)
struct HostileServerTests {
    /// What a scenario does to staging once the daemon is running, and what it then expects.
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: [HostileServer.Rule]
        /// Extra keys for staging's entry in the configuration (indented as environment keys).
        var stagingKeys = ""
        /// A problem recorded for staging's promotion must contain one of these.
        var expectedProblem: [String]
        /// Where staging's promotion stays: waiting (`planning`), or `blocked` for a person.
        var expectedState = PromotionState.planning
        var testDescription: String { name }
    }

    static let snapshotPath = "/schema/snapshot"
    /// Time enough to read up to the limit on a busy machine: the fault is the size, not the speed.
    static let roomToRead = "    timeouts: {request: 20s, tick: 60s}\n"
    static let limit = 32 << 20

    static let scenarios: [Scenario] = [
        Scenario(
            name: "headers, then silence", rules: [.init("GET", snapshotPath, .stallAfterHeaders)],
            expectedProblem: ["snapshot timed out after", "snapshot not finished"]),
        Scenario(
            name: "a chunked body, one byte at a time",
            rules: [.init("GET", snapshotPath, .trickle(.chunked, interval: .milliseconds(100)))],
            expectedProblem: ["snapshot timed out after", "snapshot not finished"]),
        Scenario(
            name: "a body with Content-Length, one byte at a time",
            rules: [.init("GET", snapshotPath, .trickle(.contentLength(1 << 20), interval: .milliseconds(100)))],
            expectedProblem: ["snapshot timed out after", "snapshot not finished"]),
        Scenario(
            name: "an endless chunked body", rules: [.init("GET", snapshotPath, .endless(.chunked))],
            stagingKeys: Self.roomToRead, expectedProblem: ["larger than the \(limit)-byte limit"],
            expectedState: .failed),
        Scenario(
            name: "an endless body that ends when the connection does",
            rules: [.init("GET", snapshotPath, .endless(.untilClose))],
            stagingKeys: Self.roomToRead, expectedProblem: ["larger than the \(limit)-byte limit"],
            expectedState: .failed),
        Scenario(
            name: "a Content-Length of 8 GiB", rules: [.init("GET", snapshotPath, .endless(.contentLength(8 << 30)))],
            expectedProblem: ["larger than the \(limit)-byte limit"], expectedState: .failed),
        Scenario(
            name: "a redirect to another host",
            rules: [
                .init("GET", snapshotPath, .answer(status: 302, headers: [("Location", "FOREIGN/schema/snapshot")]))
            ],
            expectedProblem: ["a redirect to", "not followed"], expectedState: .blocked),
        Scenario(
            name: "a redirect loop, with follow_redirects",
            rules: [.init("GET", snapshotPath, .answer(status: 307, headers: [("Location", "/schema/snapshot")]))],
            stagingKeys: "    follow_redirects: true\n", expectedProblem: ["answered 307", "not followed"],
            expectedState: .blocked),
    ]

    @Test("a stalled, trickling, endless or redirecting staging never stops the others", arguments: scenarios)
    func fault(scenario: Scenario) async throws {
        try await withHostileStaging(stagingKeys: scenario.stagingKeys) { h, hostile, foreign in
            let daemon = try h.harness.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            try #require(
                try await eventually { h.harness.latest("production")?.state == .applied && h.polled() },
                "\(h.harness.log.suffix(3000))")
            let baseline = try #require(Self.peakMemory(of: daemon.processIdentifier))
            hostile.arm(
                scenario.rules.map { rule in
                    var rule = rule
                    if case .answer(let status, let headers) = rule.misbehaviour {
                        rule.misbehaviour = .answer(
                            status: status,
                            headers: headers.map { ($0.0, $0.1.replacingOccurrences(of: "FOREIGN", with: foreign.url)) }
                        )
                    }
                    return rule
                })
            let armed = Date()
            await h.harness.dev.replaceSchema(DemoSchema.withSummary)

            // Staging's promotion waits, with the real reason; development and production go on being polled.
            #expect(
                try await eventually(20) {
                    let problem = h.harness.latest("staging")?.lastError ?? ""
                    return scenario.expectedProblem.contains { problem.contains($0) }
                }, "\(h.harness.latest("staging")?.lastError ?? "no problem recorded"); \(h.harness.log.suffix(2000))")
            #expect(try await eventually(20) { try h.polledAfter(armed.addingTimeInterval(2), count: 2) })
            #expect(h.harness.latest("staging")?.state == scenario.expectedState)
            #expect(await h.harness.staging.applyCount() == 0)
            #expect(foreign.seen.isEmpty, "nothing, least of all the token, went to another host")

            // Memory: never much more than one snapshot limit above what the daemon used before.
            let peak = try #require(Self.peakMemory(of: daemon.processIdentifier))
            #expect(peak <= baseline + Self.limit + (24 << 20), "peak \(peak >> 20) MiB, before \(baseline >> 20) MiB")

            // SIGTERM while staging misbehaves: out within 10 s, cleanly.
            let started = Date()
            #expect(try await stop(daemon) == 0)
            #expect(Date().timeIntervalSince(started) < 10)
            let events = try h.harness.store().recentEvents(limit: 200).map(\.message)
            #expect(!events.contains { $0.contains("in flight") || $0.contains("answer was lost") })
            #expect(!h.harness.log.contains(daemonToken))
        }
    }

    @Test("Retry-After of NaN, infinity, a negative or a huge number is read as no advice, never a crash")
    func retryAfter() async throws {
        try await withHostileStaging { h, hostile, _ in
            let daemon = try h.harness.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.polled() })
            for value in ["nan", "-inf", "inf", "-5", "1e400", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT"]
            {
                hostile.arm([.init("GET", Self.snapshotPath, .answer(status: 429, headers: [("Retry-After", value)]))])
                let armed = Date()
                let before = hostile.requests(path: Self.snapshotPath)
                #expect(
                    try await eventually(10) { hostile.requests(path: Self.snapshotPath) >= before + 4 }, "\(value)")
                #expect(try await eventually(10) { try h.polledAfter(armed, count: 1) })
                #expect(daemon.isRunning, "Retry-After: \(value)")
            }
            let observation = try h.harness.store().latestObservation(environment: "staging")
            #expect(observation?.error?.contains("rate limited") == true, "\(observation?.error ?? "")")
            try await h.expectHealthyStop(daemon)
        }
    }

    @Test("a diff whose hash the apply refuses: two applies, then a wait; the audit log quotes Directus")
    func forgedHash() async throws {
        try await withHostileStaging { h, hostile, _ in
            hostile.arm([.init("POST", "/schema/diff", .forgeDiffHash(String(repeating: "0", count: 40)))])
            let daemon = try h.harness.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.polled() })
            await h.harness.dev.replaceSchema(DemoSchema.withSummary)
            #expect(
                try await eventually(20) {
                    (h.harness.latest("staging")?.lastError ?? "").contains("planning again at")
                }, "\(h.harness.log.suffix(3000))")
            // The wait holds: no third apply while it lasts (the third, and the stop for a person after it, are
            // the engine tests' with a manual clock).
            try await Task.sleep(for: .seconds(2))
            #expect(hostile.requests(path: "/schema/apply") == 2)
            #expect(h.harness.latest("staging")?.state == .stale)
            let events = try h.harness.store().events(promotionID: try #require(h.harness.latest("staging")?.id))
                .map(\.message)
            #expect(
                events.filter { $0.contains("refused the diff's hash (\"Provided hash does not match") }.count == 2,
                "\(events)")
            #expect(!events.contains { $0.contains("in flight") || $0.contains("answer was lost") }, "\(events)")
            #expect(await h.harness.staging.applyCount() == 0)
            try await h.expectHealthyStop(daemon)
        }
    }

    @Test("an apply answered 204 that changes nothing fails as still different, and says so")
    func applyThatDoesNothing() async throws {
        try await withHostileStaging { h, hostile, _ in
            hostile.arm([.init("POST", "/schema/apply", .acceptWithoutApplying)])
            let daemon = try h.harness.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.polled() })
            await h.harness.dev.replaceSchema(DemoSchema.withSummary)
            #expect(try await eventually(20) { h.harness.latest("staging")?.state == .failed })
            let promotion = try #require(h.harness.latest("staging"))
            #expect(promotion.lastError == "the target still differs after the apply")
            let events = try h.harness.store().events(promotionID: promotion.id).map(\.message)
            #expect(events.contains { $0.contains("staging accepted the apply") })
            #expect(events.contains { $0.contains("staging still differs after the apply") })
            #expect(hostile.requests(path: "/schema/apply") == 1, "sent once, never again on its own")
            #expect(await h.harness.staging.applyCount() == 0)
            #expect(h.harness.latest("production")?.state == .queued, "production's gate stays shut")
            try await h.expectHealthyStop(daemon)
        }
    }

    /// The daemon's peak resident memory in bytes (`VmHWM`).
    static func peakMemory(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
}

/// A daemon harness whose staging is a `HostileServer` in front of staging's emulator, with a foreign host that
/// records anything sent to it.
struct HostileHarness: Sendable {
    let harness: DaemonHarness

    /// After a fault: development and production are still polled, memory stayed modest, SIGTERM stops the daemon
    /// within 10 s.
    func expectHealthyStop(_ daemon: Process) async throws {
        let now = Date()
        #expect(try await eventually(20) { try polledAfter(now, count: 2) }, "the others go on being polled")
        let peak = try #require(HostileServerTests.peakMemory(of: daemon.processIdentifier))
        #expect(peak < 256 << 20, "peak \(peak >> 20) MiB")
        let started = Date()
        #expect(try await stop(daemon) == 0)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// Whether every environment has been polled successfully at least once.
    func polled() -> Bool {
        guard let store = try? harness.store() else { return false }
        return ["development", "staging", "production"].allSatisfy {
            (try? store.latestSuccessfulObservation(environment: $0)) != nil
        }
    }

    /// Whether development and production were both polled successfully after `date`, `count` times or more.
    func polledAfter(_ date: Date, count: Int) throws -> Bool {
        let store = try harness.store()
        return try ["development", "production"].allSatisfy { environment in
            try store.observations(environment: environment, since: date).filter { $0.error == nil }.count >= count
        }
    }
}

func withHostileStaging(
    stagingKeys: String = "", _ body: @Sendable (HostileHarness, HostileServer, HostileServer) async throws -> Void
) async throws {
    let configuration = EmulatorConfiguration.withAdminToken(daemonToken, version: DemoSchema.version)
    let dev = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
    let staging = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
    let production = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let hostile = try await HostileServer(instance: staging)
    let foreign = try await HostileServer(instance: nil)
    try await withEmulator(dev) { devURL in
        try await withEmulator(production) { productionURL in
            let harness = DaemonHarness(
                dev: dev, staging: staging, production: production,
                urls: ["development": devURL, "staging": hostile.url, "production": productionURL],
                directory: directory)
            try """
            poll:
              interval: 200ms
              jitter: 0
            drift:
              interval: 200ms
            state_directory: \(harness.stateDirectory)
            log:
              level: info
            timeouts:
              request: 1s
              tick: 2s
            environments:
              - name: development
                url: \(devURL)
                token_env: DP_E2E_TOKEN
              - name: staging
                url: \(hostile.url)
                token_env: DP_E2E_TOKEN
                retry:
                  max_attempts: 2
                  initial_delay: 100ms
                limits:
                  max_snapshot_bytes: \(HostileServerTests.limit)
            \(stagingKeys)  - name: production
                url: \(productionURL)
                token_env: DP_E2E_TOKEN
            """.write(toFile: harness.configPath, atomically: true, encoding: .utf8)
            try await body(HostileHarness(harness: harness), hostile, foreign)
        }
    }
    await hostile.close()
    await foreign.close()
}
