import AsyncHTTPClient
import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import Synchronization
import TestSupport

/// Records the waits the client asks for, without waiting.
final class RecordedSleeps: Sendable {
    private let delays = Mutex<[Duration]>([])
    var sleep: @Sendable (Duration) async throws -> Void { { [self] delay in delays.withLock { $0.append(delay) } } }
    var all: [Duration] { delays.withLock { $0 } }
}

/// Keeps every log record, to prove no secret is ever logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    func logger(_ label: String = "test") -> Logger {
        Logger(label: label) { _ in CapturingHandler(capture: self) }
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all)")
        }
    }
}

/// The process's HTTP client, as the daemon makes it.
let testHTTPClient = DirectusHTTP.makeClient(connectTimeout: .seconds(5))

let adminToken = "client-test-admin-token-3f9a"
let adminPassword = "client-test-password-77c1"

let baseSnapshot: Snapshot = Fixtures.fieldsChange

/// `baseSnapshot` with one more field on `city`.
func withExtraField(_ snapshot: Snapshot = baseSnapshot, name: String = "population") -> Snapshot {
    var changed = snapshot
    var fields = changed.fields
    fields.append([
        "collection": "city", "field": .string(name), "type": "integer",
        "meta": ["collection": "city", "field": .string(name), "interface": "input"],
        "schema": ["name": .string(name), "table": "city", "data_type": "integer", "is_nullable": true],
    ])
    changed.fields = fields
    return changed
}

func makeEmulator(
    snapshot: Snapshot? = baseSnapshot, clock: ManualClock = ManualClock(), accessTTL: Int = 120
) throws -> EmulatedInstance {
    var configuration = EmulatorConfiguration(
        version: "11.17.4", vendor: "postgres",
        users: [
            .init(email: "admin@example.com", password: adminPassword, admin: true, staticToken: adminToken),
            .init(email: "editor@example.com", password: "editor-pass", admin: false, staticToken: "editor-token"),
        ])
    configuration.accessTokenTTL = .seconds(accessTTL)
    return try EmulatedInstance(configuration: configuration, snapshot: snapshot, now: clock.now)
}

func makeClient(
    _ url: String, auth: DirectusEndpoint.Authentication = .staticToken(Secret(adminToken)),
    sleeps: RecordedSleeps = RecordedSleeps(), logs: LogCapture = LogCapture(), timeout: Duration = .seconds(120),
    configure: (inout DirectusEndpoint) -> Void = { _ in }
) -> DirectusClient {
    var endpoint = DirectusEndpoint(url: url, authentication: auth, requestTimeout: timeout)
    configure(&endpoint)
    return DirectusClient(
        endpoint: endpoint, httpClient: testHTTPClient, logger: logs.logger(), sleep: sleeps.sleep, jitter: { $0 })
}
