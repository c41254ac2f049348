import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

@Suite("Client calls against the emulator")
struct ClientCallTests {
    @Test("info, health, snapshot, identify, row counts")
    func readCalls() async throws {
        let emulator = try makeEmulator()
        await emulator.setRowCount(42, for: "city")
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            let info = try await client.serverInfo()
            #expect(info.version == "11.17.4")
            #expect(try await client.health() == HealthReport(status: "ok"))
            let snapshot = try await client.snapshot()
            #expect(snapshot.contentHash == (await emulator.schema()).contentHash)
            let identity = try await client.identify()
            #expect(identity.version == "11.17.4")
            #expect(identity.vendor == "postgres")
            #expect(await client.rowCount(collection: "city") == 42)
            #expect(await client.rowCount(collection: "nope") == nil)
        }
    }

    @Test("a poll for history: a document with the content hash, then unchanged by the body's hash, then new again")
    func pollForHistory() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            guard case .document(let document, let bodyHash, let bytes) = try await client.snapshot(unlessBodyHash: nil)
            else {
                Issue.record("expected a document")
                return
            }
            let schema = await emulator.schema()
            #expect(document.contentHash == schema.contentHash)
            #expect(document.directus == schema.directus)
            #expect(document.vendor == "postgres")
            #expect(try document.snapshot() == schema)
            #expect(bytes > document.compactJSON.count, "the body is the envelope around the snapshot")
            guard case .unchanged(let again, _) = try await client.snapshot(unlessBodyHash: bodyHash) else {
                Issue.record("the same body is unchanged")
                return
            }
            #expect(again == bodyHash)
            await emulator.replaceSchema(withExtraField())
            guard case .document(let changed, let newHash, _) = try await client.snapshot(unlessBodyHash: bodyHash)
            else {
                Issue.record("a changed schema is a new document")
                return
            }
            #expect(newHash != bodyHash)
            #expect(changed.contentHash == (await emulator.schema()).contentHash)
        }
    }

    @Test("diff then apply, then in sync; force only as force=true")
    func diffAndApply() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            guard case .changes(let pending) = try await client.diff(to: withExtraField()) else {
                Issue.record("expected changes")
                return
            }
            #expect(pending.diff.fields.count == 1)
            try await client.apply(pending)
            #expect(try await client.diff(to: withExtraField()) == .inSync)
            #expect(await emulator.applyCount() == 1)

            var older = withExtraField(name: "area")
            older.root["directus"] = "11.12.0"
            await #expect(throws: DirectusClientError.versionMismatch(provided: "11.12.0", current: "11.17.4")) {
                try await client.diff(to: older)
            }
            guard case .changes = try await client.diff(to: older, force: true) else {
                Issue.record("force=true should bypass the version check")
                return
            }
        }
    }

    @Test("the largest real snapshot and a generated 20 MB snapshot go through Directus's 1 MB JSON limit")
    func largeSnapshots() async throws {
        let largest = try SnapshotLoader.load(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(
                    "shared/corpus/0ctave__BAC-evolved__directus__template__src__schema__snapshot__cce860c3.json"
                ).path
        ).snapshot
        for var candidate in [largest, GeneratedSnapshots.make(targetBytes: 20_000_000)] {
            candidate.root["directus"] = "11.17.4"
            candidate.root["vendor"] = "postgres"
            let desired = candidate
            let emulator = try makeEmulator(snapshot: nil)
            try await withEmulator(emulator) { url in
                let client = makeClient(url, timeout: .seconds(120))
                guard case .changes(let pending) = try await client.diff(to: desired) else {
                    Issue.record("expected changes")
                    return
                }
                try await client.apply(pending)
                #expect(try await client.diff(to: desired) == .inSync)
            }
        }
    }
}

@Suite("Client authentication")
struct ClientAuthTests {
    @Test("email and password: login once, renew an expired token, follow refresh-token rotation")
    func credentials() async throws {
        let clock = ManualClock()
        let emulator = try makeEmulator(clock: clock, accessTTL: 600)
        try await withEmulator(emulator) { url in
            let client = makeClient(
                url, auth: .credentials(email: "admin@example.com", password: Secret(adminPassword)))
            _ = try await client.snapshot()
            _ = try await client.snapshot()
            #expect(await emulator.requestCount(method: "POST", path: "/auth/login") == 1)
            // The server's clock moves past expiry; the client learns it from TOKEN_EXPIRED and renews.
            clock.advance(by: 700)
            _ = try await client.snapshot()
            #expect(await emulator.requestCount(method: "POST", path: "/auth/refresh") == 1)
            // A second renewal only works with the rotated refresh token.
            clock.advance(by: 700)
            _ = try await client.snapshot()
            #expect(await emulator.requestCount(method: "POST", path: "/auth/refresh") == 2)
            #expect(await emulator.requestCount(method: "POST", path: "/auth/login") == 1)
        }
    }

    @Test("a token close to expiry is refreshed ahead of use")
    func refreshAhead() async throws {
        let emulator = try makeEmulator(accessTTL: 30)
        try await withEmulator(emulator) { url in
            // Tokens live 30 s and the client refreshes 60 s ahead: every call renews first.
            let client = makeClient(
                url, auth: .credentials(email: "admin@example.com", password: Secret(adminPassword)))
            _ = try await client.serverInfo()
            _ = try await client.serverInfo()
            #expect(await emulator.requestCount(method: "POST", path: "/auth/refresh") == 1)
        }
    }

    @Test("when refreshing fails, the client logs in again")
    func reloginAfterFailedRefresh() async throws {
        let clock = ManualClock()
        let emulator = try makeEmulator(clock: clock, accessTTL: 600)
        try await withEmulator(emulator) { url in
            let client = makeClient(
                url, auth: .credentials(email: "admin@example.com", password: Secret(adminPassword)))
            _ = try await client.snapshot()
            await emulator.inject(FaultRule(.status(500), path: "/auth/refresh"))
            clock.advance(by: 700)
            _ = try await client.snapshot()
            #expect(await emulator.requestCount(method: "POST", path: "/auth/login") == 2)
        }
    }

    @Test("expired, invalid and non-admin credentials are told apart")
    func authErrors() async throws {
        try await withEmulator(try makeEmulator()) { url in
            await #expect(
                throws: DirectusClientError.unauthorized(expired: false, message: "Invalid user credentials.")
            ) {
                try await makeClient(url, auth: .staticToken(Secret("wrong-token"))).snapshot()
            }
            await #expect(throws: DirectusClientError.forbidden(message: "You don't have permission to access this.")) {
                try await makeClient(url, auth: .staticToken(Secret("editor-token"))).snapshot()
            }
            await #expect(
                throws: DirectusClientError.unauthorized(expired: false, message: "Invalid user credentials.")
            ) {
                try await makeClient(url, auth: .credentials(email: "admin@example.com", password: Secret("bad")))
                    .snapshot()
            }
        }
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.expireTokens, path: "/schema/snapshot", times: nil))
        try await withEmulator(emulator) { url in
            let client = makeClient(
                url, auth: .credentials(email: "admin@example.com", password: Secret(adminPassword)))
            await #expect(throws: DirectusClientError.unauthorized(expired: true, message: "Token expired.")) {
                try await client.snapshot()
            }
        }
    }

    @Test("secrets come from the environment or a file, and never print")
    func secrets() throws {
        let secret = try Secret.resolve(.environment("TOKEN_X"), environment: ["TOKEN_X": "abc"])
        #expect(secret.value == "abc")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cred-\(UUID().uuidString)").path
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Secret.resolve(.file(path)).value == "from-file")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(
            try Secret.resolve(
                .file("$CREDENTIALS_DIRECTORY/\(name)"), environment: ["CREDENTIALS_DIRECTORY": directory]
            ).value == "from-file")
        #expect(throws: Secret.ResolutionError.self) { try Secret.resolve(.environment("MISSING"), environment: [:]) }
    }
}
