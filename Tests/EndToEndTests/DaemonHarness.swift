import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionDaemon
import PromotionStore
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

let daemonToken = "daemon-e2e-token-81b4"

/// Three emulators in this process, and a `directus-promoter run` as a real child process over a real state
/// directory and configuration file.
struct DaemonHarness: Sendable {
    let dev: EmulatedInstance
    let staging: EmulatedInstance
    let production: EmulatedInstance
    let urls: [String: String]
    let directory: String

    var configPath: String { directory + "/config.yaml" }
    var stateDirectory: String { directory + "/state" }
    var databasePath: String { stateDirectory + "/state.sqlite" }
    var logPath: String { directory + "/daemon.log" }

    /// - Parameter environmentExtra: more keys per environment, as YAML lines (`force: true`).
    func writeConfig(
        pollInterval: String = "200ms", extra: String = "", stagingTimeout: String = "5s",
        environmentExtra: [String: [String]] = [:]
    ) throws {
        func more(_ name: String) -> String {
            (environmentExtra[name] ?? []).map { "\n    \($0)" }.joined()
        }
        try """
        poll:
          interval: \(pollInterval)
          jitter: 0
        drift:
          interval: \(pollInterval)
        state_directory: \(stateDirectory)
        log:
          level: info
        environments:
          - name: development
            url: \(urls["development"]!)
            token_env: DP_E2E_TOKEN\(more("development"))
          - name: staging
            url: \(urls["staging"]!)
            token_env: DP_E2E_TOKEN
            timeouts:
              request: \(stagingTimeout)\(more("staging"))
          - name: production
            url: \(urls["production"]!)
            token_env: DP_E2E_TOKEN
            timeouts:
              request: \(stagingTimeout)\(more("production"))
        \(extra)
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var environment: [String: String] { ["DP_E2E_TOKEN": daemonToken] }

    /// Starts `directus-promoter run`; its stderr goes to `daemon.log` (appended across restarts).
    func startDaemon(extraEnvironment: [String: String] = [:]) throws -> Process {
        try EndToEndTests.startDaemon(
            config: configPath, log: logPath, environment: environment.merging(extraEnvironment) { $1 })
    }

    /// Runs a CLI command against the harness's configuration.
    func cli(_ arguments: [String]) async throws -> Binary.Result {
        try await Binary.run(arguments + ["--config", configPath], environment: environment)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func store() throws -> Store { try Store.open(path: databasePath) }

    /// The promotion of the latest revision to `target`, if the database exists yet.
    func latest(_ target: String) -> PromotionRecord? {
        guard FileManager.default.fileExists(atPath: databasePath), let store = try? store(),
            let revision = try? store.latestRevision()
        else { return nil }
        return try? store.promotion(revisionID: revision.id, target: target)
    }

    func converged() async -> Bool {
        let source = await dev.schema()
        for target in [staging, production] {
            if !SnapshotDiffer.diff(current: await target.schema(), after: source).isEmpty { return false }
        }
        return true
    }
}

/// Waits until `condition` holds, up to `timeout` seconds.
func eventually(_ timeout: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}

/// Stops a process with `signal` and waits for it (10 s at most).
func stop(_ process: Process, signal: Int32 = SIGTERM) async throws -> Int32? {
    kill(process.processIdentifier, signal)
    let deadline = Date().addingTimeInterval(10)
    while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    return process.isRunning ? nil : process.terminationStatus
}

/// - Parameters:
///   - versions: the Directus release each environment runs (default: the demo's, 11.17.4).
///   - adjust: changes an environment's emulator settings (`IMPORT_MAX_FILE_SIZE`, say).
func withDaemonHarness(
    dev devSnapshot: Snapshot = DemoSchema.withSummary, targets: Snapshot = DemoSchema.initial,
    versions: [String: String] = [:], adjust: (String, inout EmulatorConfiguration) -> Void = { _, _ in },
    _ body: @Sendable (DaemonHarness) async throws -> Void
) async throws {
    func instance(_ name: String, _ snapshot: Snapshot) throws -> EmulatedInstance {
        var configuration = EmulatorConfiguration.withAdminToken(
            daemonToken, version: versions[name] ?? DemoSchema.version)
        adjust(name, &configuration)
        return try EmulatedInstance(configuration: configuration, snapshot: snapshot)
    }
    let dev = try instance("development", devSnapshot)
    let staging = try instance("staging", targets)
    let production = try instance("production", targets)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-e2e-\(UUID().uuidString)")
        .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await withEmulator(dev) { devURL in
        try await withEmulator(staging) { stagingURL in
            try await withEmulator(production) { productionURL in
                let harness = DaemonHarness(
                    dev: dev, staging: staging, production: production,
                    urls: ["development": devURL, "staging": stagingURL, "production": productionURL],
                    directory: directory)
                try harness.writeConfig()
                try await body(harness)
            }
        }
    }
}

/// A Unix datagram socket standing in for systemd's notify socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw HarnessError("cannot bind \(path)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The messages received until `timeout` seconds pass or `until` is satisfied (on a thread of its own: the
    /// wait blocks).
    func receive(timeout: Double, until: @escaping @Sendable ([String]) -> Bool) async throws -> [String] {
        try await offThePool { self.receiveBlocking(timeout: timeout, until: until) }
    }

    private func receiveBlocking(timeout: Double, until: ([String]) -> Bool) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !until(messages) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
        return messages
    }

    deinit {
        close(descriptor)
        unlink(path)
    }
}
