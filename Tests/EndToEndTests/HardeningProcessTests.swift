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

/// The daemon and the CLI as processes, against what goes wrong around them: secrets echoed back, a request that
/// never ends while a signal arrives, credentials that stop working, secrets that cannot be read, a damaged state
/// database, a stale pid in the lock file.
@Suite("daemon hardening", .serialized)
struct HardeningProcessTests {
    static let password = "pw-Zq81-distinct-Password"

    @Test(
        "secrets echoed back by a server (a static token, a token obtained by login) never reach the log or the database"
    )
    func echoedSecretsAreRedacted() async throws {
        var configuration = EmulatorConfiguration.withAdminToken(daemonToken, version: DemoSchema.version)
        configuration.users.append(
            .init(email: "bot@example.com", password: Self.password, admin: true, staticToken: nil))
        let dev = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let staging = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let production = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let stagingServer = try await HostileServer(instance: staging)
        let productionServer = try await HostileServer(instance: production)
        try await withScratchDirectory { directory in
            try await withEmulator(dev) { devURL in
                let config = """
                    poll: {interval: 200ms, jitter: 0}
                    state_directory: \(directory)/state
                    environments:
                      - {name: development, url: "\(devURL)", token_env: DP_E2E_TOKEN}
                      - {name: staging, url: "\(stagingServer.url)", email: bot@example.com, password_env: DP_PASSWORD}
                      - {name: production, url: "\(productionServer.url)", token_env: DP_E2E_TOKEN}
                    """
                try config.write(toFile: "\(directory)/config.yaml", atomically: true, encoding: .utf8)
                stagingServer.arm([.init("GET", "/schema/snapshot", .echoAuthorization(status: 500))])
                productionServer.arm([.init("GET", "/schema/snapshot", .echoAuthorization(status: 500))])
                let daemon = try startDaemon(
                    config: "\(directory)/config.yaml", log: "\(directory)/daemon.log",
                    environment: ["DP_E2E_TOKEN": daemonToken, "DP_PASSWORD": Self.password])
                defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
                let store = { try Store.open(path: "\(directory)/state/state.sqlite") }
                #expect(
                    try await eventually {
                        let staging = try? store().latestObservation(environment: "staging")?.error
                        let production = try? store().latestObservation(environment: "production")?.error
                        return (staging?.contains("rejected credentials") == true)
                            && (production?.contains("rejected credentials") == true)
                    })
                #expect(stagingServer.seen.contains { $0.authorization?.hasPrefix("Bearer ey") == true })
                #expect(try await stop(daemon) == 0)

                let log = (try? String(contentsOfFile: "\(directory)/daemon.log", encoding: .utf8)) ?? ""
                let dump = try await Binary.run(
                    ["\(directory)/state/state.sqlite", ".dump"], executable: URL(fileURLWithPath: "/usr/bin/sqlite3"))
                #expect(dump.status == 0)
                for (name, text) in [("log", log), ("database", dump.standardOutput)] {
                    #expect(!text.contains(daemonToken), "the static token in the \(name)")
                    #expect(!text.contains(Self.password), "the password in the \(name)")
                    #expect(!text.contains("Bearer ey"), "an obtained access token in the \(name)")
                }
                #expect(log.contains("rejected credentials Bearer <redacted>"), "\(log.suffix(2000))")
                #expect(dump.standardOutput.contains("rejected credentials Bearer <redacted>"))
            }
        }
        await stagingServer.close()
        await productionServer.close()
    }

    @Test("SIGHUP and SIGTERM are served while a request hangs for a minute")
    func signalsDuringAStuckRequest() async throws {
        let configuration = EmulatorConfiguration.withAdminToken(daemonToken, version: DemoSchema.version)
        let dev = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let staging = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let production = try EmulatedInstance(configuration: configuration, snapshot: DemoSchema.initial)
        let stagingServer = try await HostileServer(instance: staging)
        try await withScratchDirectory { directory in
            try await withEmulator(dev) { devURL in
                try await withEmulator(production) { productionURL in
                    let config = """
                        poll: {interval: 200ms, jitter: 0}
                        drift: {interval: 200ms}
                        state_directory: \(directory)/state
                        timeouts: {request: 60s, tick: 120s}
                        environments:
                          - {name: development, url: "\(devURL)", token_env: DP_E2E_TOKEN}
                          - {name: staging, url: "\(stagingServer.url)", token_env: DP_E2E_TOKEN}
                          - {name: production, url: "\(productionURL)", token_env: DP_E2E_TOKEN}
                        """
                    try config.write(toFile: "\(directory)/config.yaml", atomically: true, encoding: .utf8)
                    let logPath = "\(directory)/daemon.log"
                    let daemon = try startDaemon(
                        config: "\(directory)/config.yaml", log: logPath, environment: ["DP_E2E_TOKEN": daemonToken])
                    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
                    let log = { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
                    #expect(try await eventually { log().contains("production already has revision 1") })
                    stagingServer.arm([.init("GET", "/schema/snapshot", .stallAfterHeaders)])
                    let before = stagingServer.requests(path: "/schema/snapshot")
                    #expect(try await eventually { stagingServer.requests(path: "/schema/snapshot") > before })
                    try await Task.sleep(for: .milliseconds(300))

                    // A reload is served now, not after the minute the request may take.
                    kill(daemon.processIdentifier, SIGHUP)
                    #expect(try await eventually(5) { log().contains("configuration reloaded") }, "\(log())")
                    #expect(!log().contains("cannot reach staging"), "a cancelled request is not a failure")
                    #expect(try await eventually { stagingServer.requests(path: "/schema/snapshot") > before + 1 })
                    try await Task.sleep(for: .milliseconds(300))

                    let started = Date()
                    #expect(try await stop(daemon) == 0)
                    #expect(Date().timeIntervalSince(started) < 5, "stopped \(Date().timeIntervalSince(started)) s")
                    let events = try Store.open(path: "\(directory)/state/state.sqlite").recentEvents(limit: 100)
                    #expect(!events.contains { $0.message.contains("abandoned") }, "nothing recorded for a cancel")
                }
            }
        }
        await stagingServer.close()
    }

    @Test("a token that stops working is a warning once, with the fix; answering again is said once too")
    func credentialsWarningOnce() async throws {
        try await withDaemonHarness(dev: DemoSchema.initial) { h in
            let tokenFile = h.directory + "/production-token"
            try "not-the-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            try h.writeConfig()
            var config = try String(contentsOfFile: h.configPath, encoding: .utf8)
            let productionEntry = "  - name: production\n    url: \(h.urls["production"]!)\n    token_env: DP_E2E_TOKEN"
            #expect(config.contains(productionEntry))
            config = config.replacingOccurrences(
                of: productionEntry,
                with: "  - name: production\n    url: \(h.urls["production"]!)\n    token_file: \(tokenFile)")
            try config.write(toFile: h.configPath, atomically: true, encoding: .utf8)
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            let warning = "production does not accept the daemon's credentials"
            #expect(try await eventually { h.log.contains(warning) })
            // Several ticks later, still one warning.
            let store = try h.store()
            let since = Date()
            #expect(try await eventually { try store.observations(environment: "production", since: since).count >= 5 })
            let lines = h.log.split(separator: "\n").filter { $0.contains(warning) }
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.contains("warning") == true)
            #expect(lines.first?.contains("check its token") == true)

            try daemonToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            kill(daemon.processIdentifier, SIGHUP)
            #expect(try await eventually { h.log.contains("production answers again") }, "\(h.log.suffix(1500))")
            #expect(try await stop(daemon) == 0)
        }
    }

    @Test("a secret that cannot be read: run and check-config exit 78 naming where it was looked for")
    func unreadableSecret() async throws {
        try await withDaemonHarness(dev: DemoSchema.initial) { h in
            var config = try String(contentsOfFile: h.configPath, encoding: .utf8)
            config = config.replacingOccurrences(of: "token_env: DP_E2E_TOKEN", with: "token_file: /nonexistent/token")
            try config.write(toFile: h.configPath, atomically: true, encoding: .utf8)
            let check = try await h.cli(["check-config"])
            #expect(check.status == 78)
            #expect(
                check.standardError.contains(
                    "environments[0].token_file: cannot read the secret from file /nonexistent/token"),
                "\(check.standardError)")
            #expect(check.standardError.hasPrefix("\(h.configPath):"), "file:line:col first")
            let run = try await Binary.run(["run", "--config", h.configPath])
            #expect(run.status == 78, "\(run.standardError)")
            #expect(run.standardError.contains("/nonexistent/token"))
            #expect(!FileManager.default.fileExists(atPath: h.databasePath), "nothing started")

            config = config.replacingOccurrences(of: "token_file: /nonexistent/token", with: "token_env: DP_UNSET_VAR")
            try config.write(toFile: h.configPath, atomically: true, encoding: .utf8)
            let unset = try await Binary.run(["check-config", "--config", h.configPath])
            #expect(unset.status == 78)
            #expect(unset.standardError.contains("environment variable DP_UNSET_VAR: it is not set"))
        }
    }

    @Test("a database with a damaged page: run refuses to start (65) with the way back; check-config --deep too")
    func damagedDatabase() async throws {
        try await withDaemonHarness(dev: DemoSchema.initial) { h in
            // A real history first: a few revisions, their promotions and events.
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .applied })
            await h.dev.replaceSchema(DemoSchema.withSummary)
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval })
            #expect(try await stop(daemon) == 0)
            let deep = try await h.cli(["check-config", "--deep"])
            #expect(deep.status == 0, "\(deep.standardError)")
            #expect(deep.standardOutput.contains("integrity check ok"))

            // Overwrite a page in the middle of the file (the WAL was checkpointed when the daemon closed it).
            let handle = try #require(FileHandle(forUpdatingAtPath: h.databasePath))
            let size = try handle.seekToEnd()
            let pageSize: UInt64 = 4096
            let middle = (size / pageSize / 2) * pageSize
            #expect(middle > 0)
            try handle.seek(toOffset: middle)
            handle.write(Data((0..<pageSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }))
            try handle.close()

            let run = try await Binary.run(["run", "--config", h.configPath], environment: h.environment)
            #expect(run.status == 65, "\(run.standardError)")
            #expect(run.standardError.contains("is damaged; nothing was done"))
            #expect(run.standardError.contains(".recover"))
            let check = try await h.cli(["check-config", "--deep"])
            #expect(check.status == 65, "\(check.standardError)")
            let poll = try await h.cli(["poll"])
            #expect(poll.status == 65)
        }
    }

    @Test("a stale pid in the lock file is never signalled: the decision is recorded, no process is touched")
    func stalePidIsNotSignalled() async throws {
        try await withDaemonHarness { h in
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval })
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            // An unrelated process now has the pid the lock file names (as after a crash and pid reuse).
            let bystander = Process()
            bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
            bystander.arguments = ["30"]
            try bystander.run()
            defer { if bystander.isRunning { bystander.terminate() } }
            let lockPath = h.stateDirectory + "/daemon.lock"
            try "\(bystander.processIdentifier) 12345 1800000000\n".write(
                toFile: lockPath, atomically: false, encoding: .utf8)
            let id = try #require(h.latest("production")?.id)
            let approve = try await h.cli(["approve", "\(id)"])
            #expect(approve.status == 0, "\(approve.standardError)")
            #expect(approve.standardOutput.contains("no daemon is running"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(bystander.isRunning, "the bystander was not signalled")

            // Even with the right start time, a pid whose process does not hold the lock is not signalled.
            let ticks = try #require(Self.startTicks(of: bystander.processIdentifier))
            try "\(bystander.processIdentifier) \(ticks) 1800000000\n".write(
                toFile: lockPath, atomically: false, encoding: .utf8)
            let cancel = try await h.cli(["cancel", "\(id)"])
            #expect(cancel.standardOutput.contains("no daemon is running"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(bystander.isRunning)
        }
    }

    static func startTicks(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}

/// Starts `directus-promoter run` with its stderr appended to `log`.
func startDaemon(config: String, log: String, environment: [String: String]) throws -> Process {
    let process = Process()
    process.executableURL = Binary.executable
    process.arguments = ["run", "--config", config]
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    env["JOURNAL_STREAM"] = nil
    process.environment = env
    if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    handle.seekToEndOfFile()
    process.standardError = handle
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Runs `body` with a fresh directory, removed afterwards.
func withScratchDirectory(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await body(directory)
}
