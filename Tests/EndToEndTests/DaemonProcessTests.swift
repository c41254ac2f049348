import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import NIOHTTP1
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `directus-promoter run` and the CLI as real processes, over real HTTP and a real state directory.
@Suite("daemon process", .serialized)
struct DaemonProcessTests {
    @Test("run: staging automatic, production approved through the CLI, then SIGTERM stops it cleanly")
    func runApproveStop() async throws {
        try await withDaemonHarness { h in
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval })
            #expect(h.latest("staging")?.state == .applied)

            // status: exit 3 (attention), in both formats.
            let status = try await h.cli(["status"])
            #expect(status.status == 3)
            #expect(status.standardOutput.contains("awaiting approval"))
            #expect(status.standardOutput.contains("staging      target  in sync"))
            let json = try await h.cli(["status", "--json"])
            #expect(json.status == 3)
            let parsed = try JSONParser.parse(Array(json.standardOutput.utf8))
            #expect(parsed["needs_attention"] == true)
            #expect(parsed["in_flight"]?.arrayValue?.first?["state"] == "awaiting_approval")
            #expect(parsed["environments"]?.arrayValue?.count == 3)

            // A decision the promotion cannot take is refused by the CLI with the reason.
            let id = try #require(h.latest("production")?.id)
            let stagingID = try #require(h.latest("staging")?.id)
            let wrong = try await h.cli(["approve", "\(stagingID)"])
            #expect(wrong.status == 1)
            #expect(
                wrong.standardError.contains(
                    "promotion \(stagingID) cannot be approved: it is applied; only a promotion that is awaiting approval can be approved"
                ))

            let approve = try await h.cli(["approve", "\(id)", "--comment", "ship it"])
            #expect(approve.status == 0, "\(approve.standardError)")
            #expect(approve.standardOutput.contains("the daemon acts on it now"))
            #expect(try await eventually(10) { h.latest("production")?.state == .applied })
            #expect(await h.converged())

            let done = try await h.cli(["status"])
            #expect(done.status == 0, "\(done.standardOutput)")
            let showJSON = try JSONParser.parse(
                Array(try await h.cli(["show", "\(id)", "--json"]).standardOutput.utf8))
            #expect(showJSON["state"] == "applied")
            #expect(showJSON["plan"]?["summary"]?["create"] == 1)
            #expect((showJSON["events"]?.arrayValue?.count ?? 0) >= 8)
            let show = try await h.cli(["show", "\(id)"])
            #expect(show.status == 0)
            #expect(show.standardOutput.contains("diff hash:"))
            #expect(show.standardOutput.contains("ship it"))
            #expect(show.standardOutput.contains("+ field articles.summary"))
            #expect(show.standardOutput.contains("approved by"))
            let history = try await h.cli(["history", "--json", "--env", "production"])
            let rows = try JSONParser.parse(Array(history.standardOutput.utf8)).arrayValue ?? []
            #expect(rows.first?["state"] == "applied")
            #expect(rows.first?["approvers"]?.arrayValue?.isEmpty == false)
            let table = try await h.cli(["history"])
            #expect(table.standardOutput.hasPrefix("  ID  REVISION  TARGET"))

            #expect(try await stop(daemon) == 0)
            #expect(h.log.contains("stopped"))
            #expect(!h.log.contains(daemonToken), "the token never reaches the log")
        }
    }

    @Test("one daemon per state directory: a second run and a poll exit 75 with a clear message")
    func singleInstance() async throws {
        try await withDaemonHarness { h in
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("staging")?.state == .applied })
            let second = try await h.cli(["run"])
            #expect(second.status == 75)
            #expect(second.standardError.contains("pid \(daemon.processIdentifier)"))
            #expect(second.standardError.contains("only one daemon may act on a state directory"))
            let poll = try await h.cli(["poll"])
            #expect(poll.status == 75)
            #expect(try await stop(daemon) == 0)
            // Once it is gone, poll works (and says production waits for approval: exit 3).
            let after = try await h.cli(["poll"])
            #expect(after.status == 3, "\(after.standardError)")
            #expect(after.standardOutput.contains("awaiting approval"))
        }
    }

    @Test("SIGHUP: a bad configuration is refused and the old one kept; a good one is taken")
    func reload() async throws {
        try await withDaemonHarness { h in
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval })
            let good = try String(contentsOfFile: h.configPath, encoding: .utf8)
            try (good + "\nbogus_key: 1\n").write(toFile: h.configPath, atomically: true, encoding: .utf8)
            kill(daemon.processIdentifier, SIGHUP)
            #expect(try await eventually(10) { h.log.contains("the new configuration is refused") })
            #expect(h.log.contains("bogus_key: unknown key"))
            #expect(daemon.isRunning)
            // A duration no number can hold, and a duplicate key in a file holding secrets: refused, never a crash,
            // and the audit log keeps only positions and key paths.
            try h.writeConfig(pollInterval: "1e400")
            try
                (try String(contentsOfFile: h.configPath, encoding: .utf8)
                + "webhooks:\n  - {name: w, url: 'https://h.example.com/SECRET-in-url', secret: SECRET-whsec}\n"
                + "log: {level: info}\n").write(toFile: h.configPath, atomically: true, encoding: .utf8)
            kill(daemon.processIdentifier, SIGHUP)
            #expect(
                try await eventually(10) {
                    h.log.components(separatedBy: "the new configuration is refused").count == 3
                })
            #expect(daemon.isRunning)
            #expect(!h.log.contains("SECRET"))
            #expect(
                try h.store().recentEvents(limit: 50, kind: "config.refused").allSatisfy {
                    !$0.message.contains("SECRET")
                })
            try h.writeConfig(pollInterval: "300ms")
            kill(daemon.processIdentifier, SIGHUP)
            #expect(try await eventually(10) { h.log.contains("configuration reloaded") })
            let kinds = try h.store().recentEvents(limit: 50).map(\.kind)
            #expect(kinds.contains("config.refused") && kinds.contains("config.reloaded"))
            // Still working after both reloads.
            let id = try #require(h.latest("production")?.id)
            _ = try await h.cli(["approve", "\(id)"])
            #expect(try await eventually(10) { h.latest("production")?.state == .applied })
            #expect(try await stop(daemon, signal: SIGINT) == 0)
        }
    }

    @Test("systemd notify: READY=1 with a STATUS line, WATCHDOG=1 when asked, STOPPING=1 on SIGTERM")
    func notify() async throws {
        try await withDaemonHarness { h in
            let socket = try NotifySocket(path: h.directory + "/notify.sock")
            let daemon = try h.startDaemon(extraEnvironment: [
                "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000",
            ])
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            let messages = try await socket.receive(timeout: 15) { received in
                received.contains { $0.hasPrefix("READY=1") } && received.contains("WATCHDOG=1")
            }
            let ready = try #require(messages.first { $0.hasPrefix("READY=1") })
            #expect(ready.contains("\nSTATUS=revision 1 · staging"))
            #expect(messages.contains("WATCHDOG=1"))
            kill(daemon.processIdentifier, SIGTERM)
            let stopping = try await socket.receive(timeout: 10) { $0.contains { $0.hasPrefix("STOPPING=1") } }
            #expect(stopping.contains("STOPPING=1\nSTATUS=stopping after the step in progress"), "\(stopping)")
            #expect(try await stop(daemon) == 0)
        }
    }

    /// A port nothing listens on now (bound, then released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func get(_ url: String, method: HTTPMethod = .GET) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), body.readString(length: body.readableBytes) ?? "")
    }

    /// The value of one sample line of a Prometheus exposition.
    static func sample(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }

    @Test("/metrics moves with a promotion, /healthz turns 503 when an instance fails, webhooks are delivered")
    func metricsHealthAndWebhooks() async throws {
        try await withDaemonHarness { h in
            let receiver = try await WebhookReceiver()
            let port = try Self.freePort()
            try h.writeConfig(
                extra: """
                    http:
                      listen: 127.0.0.1:\(port)
                    webhooks:
                      - name: ops
                        url: \(receiver.url)
                        events: [approval_needed, applied]
                        secret_env: DP_E2E_WEBHOOK_SECRET
                    """)
            let daemon = try h.startDaemon(extraEnvironment: ["DP_E2E_WEBHOOK_SECRET": "whsec-e2e-77"])
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            let base = "http://127.0.0.1:\(port)"
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval })
            #expect(try await eventually(10) { (try? await Self.get(base + "/healthz"))?.0 == 200 })

            let (status, before) = try await Self.get(base + "/metrics")
            #expect(status == 200)
            #expect(Self.sample(before, #"directus_promoter_promotions{state="awaiting_approval"}"#) == 1)
            #expect(Self.sample(before, #"directus_promoter_pending_approvals"#) == 1)
            #expect(
                (Self.sample(before, #"directus_promoter_polls_total{environment="development",outcome="ok"}"#) ?? 0)
                    >= 1)
            #expect(Self.sample(before, #"directus_promoter_drift{environment="production"}"#) == 0)
            #expect(before.contains("directus_promoter_poll_duration_seconds_bucket"))

            let id = try #require(h.latest("production")?.id)
            #expect(try await h.cli(["approve", "\(id)"]).status == 0)
            #expect(try await eventually(10) { h.latest("production")?.state == .applied })
            let (_, after) = try await Self.get(base + "/metrics")
            #expect(Self.sample(after, #"directus_promoter_promotions{state="applied"}"#) == 2)
            #expect(Self.sample(after, #"directus_promoter_promotions{state="awaiting_approval"}"#) == 0)

            let (_, statusJSON) = try await Self.get(base + "/status")
            #expect(try JSONParser.parse(Array(statusJSON.utf8))["needs_attention"] == false)
            #expect(try await Self.get(base + "/metrics", method: .POST).0 == 405)

            // Webhooks: approval needed, then staging and production applied, each signed.
            #expect(try await eventually(10) { receiver.requests.count >= 3 })
            #expect(
                receiver.requests.map { $0.headers["x-directus-promoter-event"] ?? "" }
                    == ["applied", "approval_needed", "applied"])
            #expect(
                receiver.requests.allSatisfy {
                    $0.headers["x-directus-promoter-signature-256"]?.hasPrefix("sha256=") == true
                })

            // Production stops answering: /healthz says so.
            await h.production.inject(FaultRule(.status(503), path: nil, times: nil))
            #expect(try await eventually(15) { (try? await Self.get(base + "/healthz"))?.0 == 503 })
            let (_, reason) = try await Self.get(base + "/healthz")
            #expect(reason.contains("production: last successful poll"))
            #expect(try await stop(daemon) == 0)
            await receiver.close()
        }
    }

    @Test("config errors: every problem with file, line and column; exit 78")
    func configErrors() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        poll:
          intervall: 5s
        environments:
          - name: development
            url: not a url
            token_env: X
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await Binary.run(["status", "--config", path])
        #expect(result.status == 78)
        #expect(result.standardError.contains("\(path):2:3: poll.intervall: unknown key (did you mean interval?)"))
        #expect(result.standardError.contains("\(path):5:10: environments[0].url: not a valid URL"))
        #expect(result.standardError.contains("needs a source and at least one target"))
    }
}
