import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

typealias TestClock = ManualClock

let fixtureSnapshot: Snapshot = Fixtures.fieldsChange

func makeInstance(
    version: String = "11.17.4", snapshot: Snapshot? = fixtureSnapshot, clock: TestClock = TestClock(),
    persist: String? = nil
) throws -> EmulatedInstance {
    var configuration = EmulatorConfiguration(
        version: version, vendor: "postgres",
        users: [
            .init(email: "admin@example.com", password: "secret-pass", admin: true, staticToken: Raw.adminToken),
            .init(email: "editor@example.com", password: "editor-pass", admin: false, staticToken: "editor-token"),
        ])
    configuration.accessTokenTTL = .seconds(60)
    return try EmulatedInstance(configuration: configuration, snapshot: snapshot, persistPath: persist, now: clock.now)
}

@Suite("Emulator: server, auth and errors")
struct EmulatorAuthTests {
    @Test("ping needs no token and ignores a bad one")
    func ping() async throws {
        try await withEmulator(try makeInstance()) { url in
            let response = try await Raw.send(.GET, url + "/server/ping", token: "nonsense")
            #expect(response.status == 200)
            #expect(response.text == "pong")
            #expect(response.headers["Content-Type"].first?.hasPrefix("text/html") == true)
        }
    }

    @Test("info tells the version to users only; health details to admins only")
    func infoAndHealth() async throws {
        try await withEmulator(try makeInstance()) { url in
            let anonymous = try await Raw.send(.GET, url + "/server/info", token: nil)
            #expect(anonymous.json?["data"]?["version"] == nil)
            #expect(anonymous.json?["data"]?["setupCompleted"] == true)
            let editor = try await Raw.send(.GET, url + "/server/info", token: "editor-token")
            #expect(editor.json?["data"]?["version"] == "11.17.4")
            let health = try await Raw.send(.GET, url + "/server/health", token: nil)
            #expect(health.text == #"{"status":"ok"}"#)
            #expect(health.headers["Content-Type"].first?.hasPrefix("application/health+json") == true)
            let adminHealth = try await Raw.send(.GET, url + "/server/health")
            #expect(adminHealth.json?["releaseId"] == "11.17.4")
        }
    }

    @Test("schema endpoints: admins only, Directus's codes for everyone else")
    func schemaAccess() async throws {
        try await withEmulator(try makeInstance()) { url in
            let anonymous = try await Raw.send(.GET, url + "/schema/snapshot", token: nil)
            #expect(anonymous.status == 403)
            #expect(anonymous.errorCode == "FORBIDDEN")
            #expect(anonymous.errorMessage == "You don't have permission to access this.")
            let editor = try await Raw.send(.GET, url + "/schema/snapshot", token: "editor-token")
            #expect(editor.status == 403)
            let wrong = try await Raw.send(.GET, url + "/schema/snapshot", token: "not-a-token")
            #expect(wrong.status == 401)
            #expect(wrong.errorCode == "INVALID_CREDENTIALS")
            #expect(wrong.errorMessage == "Invalid user credentials.")
            let both = try await Raw.send(.GET, url + "/schema/snapshot?access_token=\(Raw.adminToken)")
            #expect(both.status == 400)
            #expect(
                both.errorMessage
                    == "Invalid payload. The request uses more than one method for including an access token.")
            let admin = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(admin.status == 200)
            #expect(admin.json?["data"]?["directus"] == "11.17.4")
            // 11.x reads the body before checking the user: a wrong content type wins over a missing right.
            let order = try await Raw.send(
                .POST, url + "/schema/diff", token: "editor-token", headers: [("Content-Type", "text/plain")],
                body: Array("x".utf8))
            #expect(order.status == 415)
            #expect(order.errorCode == "UNSUPPORTED_MEDIA_TYPE")
            #expect(order.errorMessage == "Unsupported media type \"text/plain\" in Content-Type header.")
        }
    }

    @Test("login, expiry, refresh rotation, tampered tokens")
    func loginAndRefresh() async throws {
        let clock = TestClock()
        try await withEmulator(try makeInstance(clock: clock)) { url in
            let missing = try await Raw.postJSON(url + "/auth/login", ["password": "x"], token: nil)
            #expect(missing.status == 400)
            #expect(missing.errorMessage == "Invalid payload. \"email\" is required.")
            let wrong = try await Raw.postJSON(
                url + "/auth/login", ["email": "admin@example.com", "password": "nope"], token: nil)
            #expect(wrong.status == 401)
            #expect(wrong.errorCode == "INVALID_CREDENTIALS")

            let login = try await Raw.postJSON(
                url + "/auth/login", ["email": "admin@example.com", "password": "secret-pass"], token: nil)
            #expect(login.status == 200)
            let data = try #require(login.json?["data"])
            #expect(data["expires"] == 60_000)
            let access = try #require(data["access_token"]?.stringValue)
            let refresh = try #require(data["refresh_token"]?.stringValue)
            let first = try await Raw.send(.GET, url + "/schema/snapshot", token: access)
            #expect(first.status == 200)

            clock.advance(by: 61)
            let expired = try await Raw.send(.GET, url + "/schema/snapshot", token: access)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "TOKEN_EXPIRED")
            #expect(expired.errorMessage == "Token expired.")

            let refreshed = try await Raw.postJSON(
                url + "/auth/refresh", ["refresh_token": .string(refresh), "mode": "json"], token: nil)
            #expect(refreshed.status == 200)
            let newAccess = try #require(refreshed.json?["data"]?["access_token"]?.stringValue)
            #expect(refreshed.json?["data"]?["refresh_token"]?.stringValue != refresh, "refresh tokens rotate")
            let second = try await Raw.send(.GET, url + "/schema/snapshot", token: newAccess)
            #expect(second.status == 200)
            let reused = try await Raw.postJSON(url + "/auth/refresh", ["refresh_token": .string(refresh)], token: nil)
            #expect(reused.status == 401)
            #expect(reused.errorCode == "INVALID_CREDENTIALS")
            let none = try await Raw.postJSON(url + "/auth/refresh", ["mode": "json"], token: nil)
            #expect(
                none.errorMessage == "Invalid payload. The refresh token is required in either the payload or cookie.")

            var parts = newAccess.split(separator: ".").map(String.init)
            parts[2] = String(parts[2].reversed())
            let tampered = try await Raw.send(.GET, url + "/schema/snapshot", token: parts.joined(separator: "."))
            #expect(tampered.status == 403)
            #expect(tampered.errorCode == "INVALID_TOKEN")
        }
    }

    @Test("JSON bodies over 1 MB are refused; the same snapshot as a file goes through")
    func payloadLimit() async throws {
        try await withEmulator(try makeInstance()) { url in
            var big = fixtureSnapshot
            var fields = big.fields
            if case .object(var field) = fields[0], case .object(var meta)? = field["meta"] {
                meta["note"] = .string(String(repeating: "x", count: 1_100_000))
                field["meta"] = .object(meta)
                fields[0] = .object(field)
            }
            big.fields = fields
            let bytes = JSONWriter().bytes(big.json)
            let asJSON = try await Raw.send(
                .POST, url + "/schema/diff", headers: [("Content-Type", "application/json")], body: bytes)
            #expect(asJSON.status == 400)
            #expect(asJSON.errorMessage == "Invalid payload. request entity too large.")
            let asFile = try await Raw.postFile(url + "/schema/diff", bytes)
            #expect(asFile.status == 200)
            #expect(asFile.json?["data"]?["diff"]?["fields"]?.arrayValue?.count == 1)
            let yaml = try await Raw.postFile(
                url + "/schema/diff", Array(try YAMLWriter.string(fixtureSnapshot.json).utf8), contentType: "text/yaml")
            #expect(yaml.status == 204)
            let broken = try await Raw.postFile(url + "/schema/diff", Array("{".utf8))
            #expect(broken.errorMessage == "Invalid payload. The provided JSON is invalid.")
            let empty = try await Raw.postJSON(url + "/schema/diff", [:])
            #expect(empty.errorMessage == "Invalid payload. No data was included in the body.")
        }
    }

    @Test("force: its presence on 11.x, its value on 12.2")
    func forceSemantics() async throws {
        var olderSnapshot = fixtureSnapshot
        olderSnapshot.root["directus"] = "11.12.0"
        let older = olderSnapshot
        try await withEmulator(try makeInstance()) { url in
            let plain = try await Raw.postJSON(url + "/schema/diff", older.json)
            #expect(plain.status == 400)
            #expect(plain.errorMessage?.contains("directus version 11.12.0 does not match") == true)
            let forceFalse = try await Raw.postJSON(url + "/schema/diff?force=false", older.json)
            #expect(forceFalse.status == 204, "11.x treats ?force=false as force")
        }
        var newerSnapshot = fixtureSnapshot
        newerSnapshot.root["directus"] = "11.12.0"
        let newer = newerSnapshot
        try await withEmulator(try makeInstance(version: "12.2.0")) { url in
            let forceFalse = try await Raw.postJSON(url + "/schema/diff?force=false", newer.json)
            #expect(forceFalse.status == 400, "12.2 honours the value")
            let forceTrue = try await Raw.postJSON(url + "/schema/diff?force=true", newer.json)
            #expect(forceTrue.status == 204)
        }
    }

    @Test("exports: bare JSON with tabs, YAML that reads back the same")
    func exports() async throws {
        try await withEmulator(try makeInstance()) { url in
            let json = try await Raw.send(.GET, url + "/schema/snapshot?export=json")
            #expect(json.headers["Content-Disposition"].first?.hasPrefix("attachment; filename=\"Export ") == true)
            #expect(json.text.hasPrefix("{\n\t\"version\": 1"))
            let yaml = try await Raw.send(.GET, url + "/schema/snapshot?export=yaml")
            #expect(yaml.headers["Content-Type"].first?.hasPrefix("text/yaml") == true)
            let reread = try YAMLReader.read(yaml.text)
            let original = try #require(try await Raw.send(.GET, url + "/schema/snapshot").json?["data"])
            #expect(reread.comparableText == original.comparableText)
            let bad = try await Raw.send(.GET, url + "/schema/snapshot?export=pdf")
            #expect(bad.status == 400)
            #expect(bad.errorCode == "INVALID_QUERY")
        }
    }

    @Test("12.2 caps uploads: 413 CONTENT_TOO_LARGE")
    func uploadCap() async throws {
        var configuration = EmulatorConfiguration.withAdminToken(Raw.adminToken, version: "12.2.0")
        configuration.importMaxFileSize = 1_000
        let instance = try EmulatedInstance(configuration: configuration, snapshot: fixtureSnapshot)
        try await withEmulator(instance) { url in
            let response = try await Raw.postFile(url + "/schema/diff?force", JSONWriter().bytes(fixtureSnapshot.json))
            #expect(response.status == 413)
            #expect(response.errorCode == "CONTENT_TOO_LARGE")
            #expect(response.errorMessage == "Uploaded content is too large.")
        }
    }

    @Test("before 9.23 there is no schema API")
    func noSchemaAPIBefore923() async throws {
        try await withEmulator(try makeInstance(version: "9.22.4")) { url in
            let response = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response.status == 404)
            #expect(response.errorCode == "ROUTE_NOT_FOUND")
        }
    }

    @Test("a persisted schema survives a restart")
    func persistence() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withEmulator(try makeInstance(snapshot: nil, persist: path)) { url in
            let diff = try await Raw.postJSON(url + "/schema/diff", fixtureSnapshot.json)
            let data = try #require(diff.json?["data"])
            let applied = try await Raw.postJSON(url + "/schema/apply", data)
            #expect(applied.status == 204)
        }
        let restarted = try makeInstance(snapshot: nil, persist: path)
        try await withEmulator(restarted) { url in
            let again = try await Raw.postJSON(url + "/schema/diff", fixtureSnapshot.json)
            #expect(again.status == 204)
        }
    }
}
