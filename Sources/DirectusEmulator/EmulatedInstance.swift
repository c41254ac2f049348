import DirectusConfig
import DirectusSchema
import Foundation

/// One emulated Directus instance: its schema, users, tokens, counters and injected faults.
///
/// The schema is a `Snapshot`; diff, hash, validation and apply come from DirectusSchema, so they are the ones
/// pinned by the conformance cases. `handle(_:)` answers one HTTP request; `EmulatorServer` puts it on a socket.
public actor EmulatedInstance {
    public let configuration: EmulatorConfiguration
    var snapshot: Snapshot
    /// Directus's version as the server reports it (can change: `upgrade(to:)`).
    var version: String
    let tokens: AccessTokens
    /// Seconds since 1970; injectable so tests can expire tokens without waiting.
    let now: @Sendable () -> Double
    let persistPath: String?

    var refreshTokens: [String: (email: String, expires: Double)] = [:]
    /// Access tokens with a serial up to this one are treated as expired (the `expireTokens` fault).
    var tokensRevokedThrough: Int?
    var faults: [FaultRule] = []
    var requestCounts: [String: Int] = [:]
    /// The query parameters of the last 50 requests per `METHOD /path`.
    var recentQueries: [String: [[(name: String, value: String)]]] = [:]
    var appliedCount = 0
    var driftCount = 0
    var tokenSerial = 0
    var rowCounts: [String: Int]
    /// Roles, policies, permissions, flows… (11.0+), served over REST.
    var config: EmulatedConfiguration
    /// The rows of the user collections, served by `/items` and `/utils/import`.
    var itemStore = EmulatedItems()

    /// An instance holding `snapshot` (or an empty schema), answering as `configuration` says.
    /// With `persistPath`, the schema is written there after every change, and read from there at start when the
    /// file exists.
    public init(
        configuration: EmulatorConfiguration, snapshot: Snapshot? = nil, persistPath: String? = nil,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws {
        self.configuration = configuration
        self.version = configuration.version
        self.tokens = AccessTokens(secret: configuration.secret)
        self.now = now
        self.persistPath = persistPath
        self.rowCounts = configuration.rowCounts
        self.config = EmulatedConfiguration.bootstrap(adminUsers: configuration.users.filter(\.admin).map(\.email))
        if let persistPath, FileManager.default.fileExists(atPath: persistPath) {
            self.snapshot = try SnapshotLoader.load(contentsOfFile: persistPath).snapshot
            if let data = FileManager.default.contents(atPath: Self.itemsPath(persistPath)) {
                self.itemStore = EmulatedItems(stored: try JSONParser.parse(Array(data)))
            }
        } else {
            self.snapshot =
                snapshot
                ?? Snapshot(
                    directus: configuration.version, vendor: configuration.vendor,
                    withSystemFields: configuration.parsedVersion.hasSystemFields)
        }
    }

    var parsedVersion: DirectusVersion { DirectusVersion(version) ?? DirectusVersion(11, 17, 4) }

    var server: DirectusValidation.Server { .init(version: version, vendor: configuration.vendor) }

    /// The snapshot as the server reports it: its own version and vendor in the header.
    var currentSnapshot: Snapshot {
        if configuration.replaysRecordedCases { return snapshot }
        var reported = snapshot
        reported.root["version"] = 1
        reported.root["directus"] = .string(version)
        reported.root["vendor"] = .string(configuration.vendor)
        if parsedVersion.hasSystemFields && !reported.hasSystemFields { reported.systemFields = [] }
        if !parsedVersion.hasSystemFields { reported.root.removeValue(forKey: "systemFields") }
        return Snapshot(root: Self.headerOrdered(reported.root))
    }

    /// `version, directus, vendor, collections, fields, systemFields, relations`, then anything else.
    static func headerOrdered(_ root: JSONObject) -> JSONObject {
        var ordered = JSONObject()
        for key in ["version", "directus", "vendor", "collections", "fields", "systemFields", "relations"] {
            if let value = root[key] { ordered[key] = value }
        }
        for (key, value) in root where !ordered.contains(key: key) { ordered[key] = value }
        return ordered
    }

    // MARK: Control (tests, the `emulator` command, the demo)

    /// The schema the instance holds now, as `GET /schema/snapshot` reports it.
    public func schema() -> Snapshot { currentSnapshot }

    /// Replaces the schema, as a change made directly on the instance would.
    public func replaceSchema(_ newSnapshot: Snapshot) {
        snapshot = newSnapshot
        persist()
    }

    /// Changes the schema behind any client's back: adds a field `drift_N` to the first collection with a table
    /// (or a collection `drift_N` when there is none). Returns the name of what was added.
    @discardableResult
    public func makeDrift() -> String {
        driftCount += 1
        let name = "drift_\(driftCount)"
        var fields = snapshot.fields
        if let collection = snapshot.collections.first(where: { $0["schema"]?.objectValue != nil })?["collection"]?
            .stringValue
        {
            fields.append(
                [
                    "collection": .string(collection), "field": .string(name), "type": "string",
                    "meta": [
                        "collection": .string(collection), "field": .string(name), "hidden": false,
                        "interface": "input",
                    ],
                    "schema": [
                        "name": .string(name), "table": .string(collection), "data_type": "character varying",
                        "max_length": 255, "is_nullable": true,
                    ],
                ])
            snapshot.fields = fields
            persist()
            return "\(collection).\(name)"
        }
        var collections = snapshot.collections
        collections.append([
            "collection": .string(name), "meta": ["collection": .string(name)], "schema": ["name": .string(name)],
        ])
        snapshot.collections = collections
        persist()
        return name
    }

    /// Upgrades the server to another Directus version (the schema is unchanged, its header follows).
    public func upgrade(to newVersion: String) { version = newVersion }

    /// Adds a fault for the next matching requests.
    public func inject(_ rule: FaultRule) { faults.append(rule) }

    public func clearFaults() { faults.removeAll() }

    /// How many requests were received for `METHOD /path` (all requests when both are `nil`).
    public func requestCount(method: String? = nil, path: String? = nil) -> Int {
        requestCounts.filter { key, _ in
            let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
            return (method == nil || parts[0] == method) && (path == nil || parts[1] == path)
        }.values.reduce(0, +)
    }

    /// The query parameters of the latest requests (up to 50) for `METHOD /path`, oldest first.
    public func queries(method: String, path: String) -> [[String: String]] {
        (recentQueries["\(method) \(path)"] ?? []).map { items in
            Dictionary(items.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// How many applies changed the schema (the partial apply fault counts too).
    public func applyCount() -> Int { appliedCount }

    /// The configuration rows of a collection as stored (ids included, aliases not).
    public func configurationRows(_ kind: ConfigKind) -> [JSONObject] { config.rows[kind] ?? [] }

    /// Replaces the rows of a collection, as changes made in the Data Studio would.
    public func setConfigurationRows(_ rows: [JSONObject], for kind: ConfigKind) { config.rows[kind] = rows }

    /// Sets the number of rows `GET /items/COLLECTION?aggregate[count]=*` reports.
    public func setRowCount(_ count: Int, for collection: String) { rowCounts[collection] = count }

    /// The rows of a collection as stored (every column, the schema's order).
    public func itemRows(_ collection: String) -> [JSONObject] {
        EmulatedItems.Table(collection, in: snapshot).map { itemStore.read($0) } ?? []
    }

    /// Replaces the rows of a collection, as edits in the Data Studio would (no constraint is checked).
    public func setItemRows(_ rows: [JSONObject], for collection: String) {
        itemStore.rows[collection] = rows
        let keys = rows.compactMap { $0["id"]?.numberValue?.intValue }
        itemStore.sequences[collection] = max(itemStore.sequences[collection] ?? 0, keys.max() ?? 0)
        persist()
    }

    /// Where the rows are persisted beside the schema.
    static func itemsPath(_ persistPath: String) -> String { persistPath + ".items.json" }

    func persist() {
        guard let persistPath else { return }
        let text = JSONWriter(layout: .indented("  ")).string(currentSnapshot.json) + "\n"
        try? Data(text.utf8).write(to: URL(fileURLWithPath: persistPath), options: .atomic)
        if !itemStore.rows.isEmpty {
            try? Data(JSONWriter().bytes(itemStore.stored)).write(
                to: URL(fileURLWithPath: Self.itemsPath(persistPath)), options: .atomic)
        }
    }
}
