import AsyncHTTPClient
import DirectusClient
import DirectusConfig
import DirectusContent
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport

let adminToken = "engine-test-admin-token-5d2e"
let httpClient = DirectusHTTP.makeClient(connectTimeout: .seconds(5))
let baseSnapshot: Snapshot = Fixtures.fieldsChange

/// Three emulators (development, staging, production), a real SQLite file, an injected clock and an engine.
struct PipelineHarness: Sendable {
    let dev: EmulatedInstance
    let staging: EmulatedInstance
    let production: EmulatedInstance
    let urls: [String: String]
    let store: Store
    let clock: ManualClock
    let directory: String

    var now: @Sendable () -> Date { { [clock] in Date(timeIntervalSince1970: clock.now()) } }

    /// An engine over the harness's store; `adjust` changes environment settings (force, policies).
    func engine(
        timeout: Duration = .seconds(30), urls override: [String: String] = [:],
        configurationKinds: [ConfigKind] = [], content: [ContentRule] = [],
        adjust: (inout EnvironmentSettings) -> Void = { _ in }
    ) throws -> PromotionEngine {
        let names = ["development", "staging", "production"]
        var settings: [EnvironmentSettings] = []
        var clients: [String: DirectusClient] = [:]
        for (index, name) in names.enumerated() {
            let url = override[name] ?? urls[name]!
            var environment = EnvironmentSettings(
                name: name, url: url, policy: ApprovalPolicy.defaultPolicy(forTargetAt: index - 1))
            adjust(&environment)
            settings.append(environment)
            let endpoint = DirectusEndpoint(
                url: url, authentication: .staticToken(Secret(adminToken)), requestTimeout: timeout,
                retry: .init(maxAttempts: 2, initialDelay: .milliseconds(1)))
            clients[name] = DirectusClient(
                endpoint: endpoint, httpClient: httpClient, logger: Logger(label: "test"), sleep: { _ in },
                jitter: { $0 })
        }
        var configuration = EngineConfiguration(
            pipeline: try Pipeline(source: "development", targets: ["staging", "production"]), environments: settings)
        configuration.configurationKinds = configurationKinds
        configuration.contentRules = content
        return PromotionEngine(
            configuration: configuration, clients: clients, store: store, now: now, logger: Logger(label: "engine-test")
        )
    }

    /// The only promotion of `target` for the latest revision.
    func latest(_ target: String) throws -> PromotionRecord {
        guard let revision = try store.latestRevision(),
            let promotion = try store.promotion(revisionID: revision.id, target: target)
        else { throw HarnessError("no promotion for \(target)") }
        return promotion
    }

    func decide(
        _ kind: DecisionRecord.Kind, _ target: String, actor: String = "alice", allowDestructive: Bool = false
    )
        throws
    {
        try store.recordDecision(
            promotionID: try latest(target).id, kind: kind, actor: actor, comment: nil,
            allowDestructive: allowDestructive, at: now())
    }

    /// Whether all three schemas are the same (collections, fields, relations).
    func converged() async -> Bool {
        let source = await dev.schema()
        for target in [staging, production] {
            let schema = await target.schema()
            if !SnapshotDiffer.diff(current: schema, after: source).isEmpty { return false }
        }
        return true
    }
}

func makeInstance(_ snapshot: Snapshot, version: String = "11.17.4", clock: ManualClock) throws -> EmulatedInstance {
    let configuration = EmulatorConfiguration(
        version: version, vendor: "postgres",
        users: [.init(email: "admin@example.com", password: "engine-test-pass", admin: true, staticToken: adminToken)])
    return try EmulatedInstance(configuration: configuration, snapshot: snapshot, now: clock.now)
}

/// Runs `body` with three emulators on loopback and a fresh state database file.
func withPipeline(
    dev devSnapshot: Snapshot = withField("population"), targets: Snapshot = baseSnapshot,
    devVersion: String = "11.17.4", stagingVersion: String = "11.17.4", productionVersion: String = "11.17.4",
    _ body: @Sendable (PipelineHarness) async throws -> Void
) async throws {
    let clock = ManualClock()
    let dev = try makeInstance(devSnapshot, version: devVersion, clock: clock)
    let staging = try makeInstance(targets, version: stagingVersion, clock: clock)
    let production = try makeInstance(targets, version: productionVersion, clock: clock)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "engine-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try Store.open(path: directory + "/state.sqlite")
    try await withEmulator(dev) { devURL in
        try await withEmulator(staging) { stagingURL in
            try await withEmulator(production) { productionURL in
                let harness = PipelineHarness(
                    dev: dev, staging: staging, production: production,
                    urls: ["development": devURL, "staging": stagingURL, "production": productionURL],
                    store: store, clock: clock, directory: directory)
                try await body(harness)
            }
        }
    }
}

/// `snapshot` with one more integer field on `city`.
func withField(_ name: String, on snapshot: Snapshot = baseSnapshot) -> Snapshot {
    var changed = snapshot
    var fields = changed.fields
    fields.append([
        "collection": "city", "field": .string(name), "type": "integer",
        "meta": ["collection": "city", "field": .string(name), "interface": "input", "note": nil],
        "schema": ["name": .string(name), "table": "city", "data_type": "integer", "is_nullable": true],
    ])
    changed.fields = fields
    return changed
}

/// `snapshot` with `collection.field`'s note set.
func withNote(_ note: String, on field: String, in collection: String = "city", of snapshot: Snapshot) -> Snapshot {
    var changed = snapshot
    changed.fields = snapshot.fields.map { entry in
        guard entry["collection"]?.stringValue == collection, entry["field"]?.stringValue == field,
            var object = entry.objectValue, var meta = object["meta"]?.objectValue
        else { return entry }
        meta["note"] = .string(note)
        object["meta"] = .object(meta)
        return .object(object)
    }
    return changed
}

/// `snapshot` with one more collection (an id field only), as the demo schema writes collections.
func withCollection(_ name: String, on snapshot: Snapshot) -> Snapshot {
    var changed = snapshot
    changed.collections.append(DemoSchema.collection(name, icon: "inventory"))
    changed.fields.append(DemoSchema.primaryKey(name))
    return changed
}

/// `snapshot` without `collection.field`.
func withoutField(_ field: String, in collection: String, of snapshot: Snapshot) -> Snapshot {
    var changed = snapshot
    changed.fields = snapshot.fields.filter {
        !($0["collection"]?.stringValue == collection && $0["field"]?.stringValue == field)
    }
    return changed
}

/// `snapshot` labelled with another Directus version (and, from 11.13, the given system indexes).
func labelled(_ snapshot: Snapshot, version: String, systemFields: [JSONValue]?) -> Snapshot {
    var changed = snapshot
    changed.root["directus"] = .string(version)
    if let systemFields {
        changed.root["systemFields"] = .array(systemFields)
    } else {
        changed.root["systemFields"] = nil
    }
    return changed
}

let indexedSystemFields: [JSONValue] = [
    ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]],
    ["collection": "directus_revisions", "field": "activity", "schema": ["is_indexed": true]],
]
