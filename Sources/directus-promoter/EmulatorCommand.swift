import ArgumentParser
import DirectusEmulator
import DirectusSchema
import Foundation

/// `directus-promoter emulator`: a Directus schema-API test double on a local port.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve an emulated Directus instance (the schema API) for tests and rehearsals.",
        discussion: """
            The emulator answers /schema/snapshot, /schema/diff, /schema/apply, /server/ping|health|info, \
            /auth/login and /auth/refresh as the chosen Directus version does (default 11.17.4), with Directus's \
            own diff, hash, validation messages and apply order. From 12.2 it takes partial snapshots \
            (includeCollections, excludeCollections), ?mode=merge, ?force by its value and caps multipart \
            uploads at --import-max-file-size; from 12.4 its apply judges entities by root-level records. It \
            prints its URL once it is ready, then serves until interrupted.

            The schema starts as --snapshot (JSON or YAML) and follows that file: save it, and the emulator \
            reloads it, as if the change had been made in the Data Studio (--no-watch turns that off).

            Faults (repeatable --fault): FAULT[@PATH][xCOUNT|x*], where FAULT is a status code (500, 502, 503, \
            504, 429), drop, truncate, invalid-json, drift, delay=2s, partial-apply or expire-tokens. Example: \
            --fault 503@/schema/diffx2 answers the next two diffs with 503.

            Rehearsing a promotion, in three terminals (docs/emulator.md has the whole walkthrough):
              1. directus-promoter emulator --port 8055 --snapshot dev.yaml
                 directus-promoter emulator --port 8056 --snapshot base.yaml
                 directus-promoter emulator --port 8057 --snapshot base.yaml \\
                   --rows articles=1200
              2. directus-promoter run --config rehearsal.yaml
              3. edit dev.yaml and save; then directus-promoter status, show ID, approve ID
            """
    )

    @Option(help: "The snapshot file (JSON or YAML) to start from; an empty schema when omitted.")
    var snapshot: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8055

    @Option(name: .customLong("directus-version"), help: "The Directus version to behave as.")
    var directusVersion = "11.17.4"

    @Option(help: "The database vendor to report (postgres, mysql, sqlite, ...).")
    var vendor = "postgres"

    @Option(
        name: .customLong("admin-token"),
        help: "A static token for the admin user. Default: $DIRECTUS_EMULATOR_TOKEN, else 'emulator-admin-token'.")
    var adminToken: String?

    @Option(help: "The admin user's email, for /auth/login.")
    var adminEmail = "admin@example.com"

    @Option(help: "The admin user's password. Default: $DIRECTUS_EMULATOR_PASSWORD, else 'password'.")
    var adminPassword: String?

    @Option(help: "Keep the schema in this file: read at start when it exists, written after every change.")
    var persist: String?

    @Option(name: .customLong("access-token-ttl"), help: "Seconds an access token lives (Directus: 900).")
    var accessTokenTTL = 900

    @Option(name: .customLong("fault"), help: "Inject a fault (see above). Repeatable.")
    var faults: [String] = []

    @Flag(inversion: .prefixedNo, help: "Reload --snapshot whenever the file is saved.")
    var watch = true

    @Option(
        name: .customLong("rows"),
        help: ArgumentHelp(
            "Rows a collection reports holding, for the destructive gate's row counts. Repeatable.",
            valueName: "collection=count"))
    var rows: [String] = []

    @Option(
        name: .customLong("max-payload-size"),
        help: ArgumentHelp("MAX_PAYLOAD_SIZE: the largest JSON body (Directus: 1mb).", valueName: "size"))
    var maxPayloadSize = "1mb"

    @Option(
        name: .customLong("import-max-file-size"),
        help: ArgumentHelp("IMPORT_MAX_FILE_SIZE (12.2+): uploads this big get 413 (50mb).", valueName: "size"))
    var importMaxFileSize = "50mb"

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate (needs --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    func validate() throws {
        for fault in faults where FaultRule(argument: fault) == nil {
            throw ValidationError("--fault \(fault): not a fault (try 503@/schema/diff, drop, delay=2s, partial-apply)")
        }
        guard DirectusVersion(directusVersion) != nil else {
            throw ValidationError("--directus-version \(directusVersion): not a version like 11.17.4")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): not a port number") }
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        for (name, value) in [("--max-payload-size", maxPayloadSize), ("--import-max-file-size", importMaxFileSize)]
        where UploadLimits.bytes(value) == nil {
            throw ValidationError("\(name) \(value): not a size (a number of bytes, or 512kb, 10mb, 1gb)")
        }
        for row in rows where Self.rowCount(row) == nil {
            throw ValidationError("--rows \(row): not collection=count (for example articles=1200)")
        }
    }

    /// `articles=1200`.
    static func rowCount(_ text: String) -> (collection: String, count: Int)? {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count >= 0 else { return nil }
        return (parts[0], count)
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let token = adminToken ?? environment["DIRECTUS_EMULATOR_TOKEN"] ?? "emulator-admin-token"
        let password = adminPassword ?? environment["DIRECTUS_EMULATOR_PASSWORD"] ?? "password"
        var configuration = EmulatorConfiguration(
            version: directusVersion, vendor: vendor,
            users: [.init(email: adminEmail, password: password, admin: true, staticToken: token)])
        configuration.accessTokenTTL = .seconds(accessTokenTTL)
        configuration.maxPayloadSize = UploadLimits.bytes(maxPayloadSize) ?? UploadLimits.defaultMaxPayloadSize
        configuration.importMaxFileSize = UploadLimits.bytes(importMaxFileSize) ?? UploadLimits.defaultImportMaxFileSize
        var initial: Snapshot?
        if let snapshot {
            do {
                initial = try SnapshotLoader.load(contentsOfFile: snapshot).snapshot
            } catch {
                throw CommandError(error.description)
            }
        }
        let instance = try EmulatedInstance(configuration: configuration, snapshot: initial, persistPath: persist)
        for fault in faults {
            if let rule = FaultRule(argument: fault) { await instance.inject(rule) }
        }
        for row in rows {
            if let (collection, count) = Self.rowCount(row) { await instance.setRowCount(count, for: collection) }
        }
        let watcher = snapshot.flatMap { path in
            watch
                ? SnapshotFileWatcher(path: path, instance: instance) { result in
                    switch result {
                    case .success(let schema):
                        printError(
                            "reloaded \(path): \(schema.collections.count) collections, \(schema.fields.count) fields")
                    case .failure(let error):
                        printError("\(error); the schema stays as it was")
                    }
                } : nil
        }
        let tls = tlsCertificate.flatMap { certificate in
            tlsKey.map { (certificatePath: certificate, privateKeyPath: $0) }
        }
        let server = EmulatorServer(instance: instance, host: host, port: port, tls: tls)
        try await withSignalCancellation {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let watcher { group.addTask { await watcher.run() } }
                group.addTask {
                    try await server.run { url in
                        FileHandle.standardOutput.write(Data((url + "\n").utf8))
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
