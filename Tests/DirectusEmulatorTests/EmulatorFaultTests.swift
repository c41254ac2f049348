import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import NIOCore
import TestSupport
import Testing

/// Each fault kind, and what a client sees.
@Suite("Emulator faults")
struct EmulatorFaultTests {
    /// A diff from the fixture to the fixture plus one field, ready to apply.
    static func pendingChange(_ url: String) async throws -> JSONValue {
        var desired = fixtureSnapshot
        var fields = desired.fields
        fields.append([
            "collection": "city", "field": "population", "type": "integer",
            "meta": ["collection": "city", "field": "population", "interface": "input"],
            "schema": ["name": "population", "table": "city", "data_type": "integer", "is_nullable": true],
        ])
        desired.fields = fields
        let diff = try await Raw.postJSON(url + "/schema/diff", desired.json)
        return try #require(diff.json?["data"])
    }

    @Test("5xx for the next N requests to one endpoint, then normal answers")
    func statusCodes() async throws {
        let instance = try makeInstance()
        await instance.inject(FaultRule(.status(503), path: "/schema/snapshot", times: 2))
        try await withEmulator(instance) { url in
            let first = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(first.status == 503)
            #expect(first.errorCode == "SERVICE_UNAVAILABLE")
            let response1 = try await Raw.send(.GET, url + "/server/info")
            #expect(response1.status == 200, "other endpoints are unaffected")
            let response2 = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response2.status == 503)
            let response3 = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response3.status == 200)
        }
        let throttled = try makeInstance()
        await throttled.inject(FaultRule(.status(429)))
        await throttled.inject(FaultRule(.status(502)))
        try await withEmulator(throttled) { url in
            let first = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(first.status == 429)
            #expect(first.headers["Retry-After"].first == "1")
            let response4 = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response4.status == 502)
        }
    }

    @Test("a dropped connection is a transport error, not an answer")
    func droppedConnection() async throws {
        let instance = try makeInstance()
        await instance.inject(FaultRule(.dropConnection, path: "/schema/snapshot"))
        try await withEmulator(instance) { url in
            await #expect(throws: (any Error).self) { try await Raw.send(.GET, url + "/schema/snapshot") }
            let response5 = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response5.status == 200)
        }
    }

    @Test("a truncated body: the announced length never arrives")
    func truncatedBody() async throws {
        let instance = try makeInstance()
        await instance.inject(FaultRule(.truncatedBody, path: "/schema/snapshot"))
        try await withEmulator(instance) { url in
            await #expect(throws: (any Error).self) { try await Raw.send(.GET, url + "/schema/snapshot") }
        }
    }

    @Test("invalid JSON in a 200 answer")
    func invalidJSON() async throws {
        let instance = try makeInstance()
        await instance.inject(FaultRule(.invalidJSON, path: "/schema/snapshot"))
        try await withEmulator(instance) { url in
            let response = try await Raw.send(.GET, url + "/schema/snapshot")
            #expect(response.status == 200)
            #expect(response.json == nil)
        }
    }

    @Test("drift between diff and apply: the stale-hash refusal")
    func driftBetweenDiffAndApply() async throws {
        let instance = try makeInstance()
        try await withEmulator(instance) { url in
            let pending = try await Self.pendingChange(url)
            await instance.inject(FaultRule(.driftBeforeHandling, path: "/schema/apply"))
            let response = try await Raw.postJSON(url + "/schema/apply", pending)
            #expect(response.status == 400)
            #expect(response.errorMessage?.hasPrefix("Invalid payload. Provided hash does not match") == true)
            #expect(await instance.applyCount() == 0)
            #expect(await instance.schema().fields.contains { $0["field"] == "drift_1" })
        }
    }

    @Test("an apply that times out after really applying")
    func delayedApply() async throws {
        let instance = try makeInstance()
        try await withEmulator(instance) { url in
            let pending = try await Self.pendingChange(url)
            await instance.inject(FaultRule(.delayResponse(.seconds(3)), path: "/schema/apply"))
            await #expect(throws: (any Error).self) {
                try await Raw.send(
                    .POST, url + "/schema/apply", headers: [("Content-Type", "application/json")],
                    body: JSONWriter().bytes(pending), timeout: .milliseconds(300))
            }
            // The client saw a timeout, yet the schema changed: only a new diff tells.
            #expect(await instance.applyCount() == 1)
            let rediff = try await Raw.postJSON(url + "/schema/diff", (await instance.schema()).json)
            #expect(rediff.status == 204)
            #expect(await instance.schema().fields.contains { $0["field"] == "population" })
        }
    }

    @Test("an apply that fails half-way leaves the schema partly changed")
    func partialApply() async throws {
        let instance = try makeInstance(snapshot: nil)
        try await withEmulator(instance) { url in
            let diff = try await Raw.postJSON(url + "/schema/diff", fixtureSnapshot.json)
            let pending = try #require(diff.json?["data"])
            await instance.inject(FaultRule(.partialApply, path: "/schema/apply"))
            let response = try await Raw.postJSON(url + "/schema/apply", pending)
            #expect(response.status == 500)
            #expect(response.errorCode == "INTERNAL_SERVER_ERROR")
            let schema = await instance.schema()
            #expect(!schema.collections.isEmpty, "something was applied")
            let remaining = SnapshotDiffer.diff(current: schema, after: fixtureSnapshot)
            #expect(!remaining.isEmpty, "not everything was applied")
        }
    }

    @Test("tokens expired early: the old token is refused, a refreshed one works")
    func expiredTokens() async throws {
        let instance = try makeInstance()
        try await withEmulator(instance) { url in
            let login = try await Raw.postJSON(
                url + "/auth/login", ["email": "admin@example.com", "password": "secret-pass"], token: nil)
            let access = try #require(login.json?["data"]?["access_token"]?.stringValue)
            let refresh = try #require(login.json?["data"]?["refresh_token"]?.stringValue)
            await instance.inject(FaultRule(.expireTokens, path: "/schema/snapshot"))
            let refused = try await Raw.send(.GET, url + "/schema/snapshot", token: access)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "TOKEN_EXPIRED")
            let renewed = try await Raw.postJSON(url + "/auth/refresh", ["refresh_token": .string(refresh)], token: nil)
            let newAccess = try #require(renewed.json?["data"]?["access_token"]?.stringValue)
            let response6 = try await Raw.send(.GET, url + "/schema/snapshot", token: newAccess)
            #expect(response6.status == 200)
        }
    }

    @Test("faults read from the command-line form")
    func faultArguments() {
        #expect(FaultRule(argument: "503@/schema/diffx2") == FaultRule(.status(503), path: "/schema/diff", times: 2))
        #expect(FaultRule(argument: "drop") == FaultRule(.dropConnection))
        #expect(
            FaultRule(argument: "delay=1.5s@/schema/apply")
                == FaultRule(.delayResponse(.milliseconds(1500)), path: "/schema/apply"))
        #expect(
            FaultRule(argument: "partial-apply@/schema/applyx*")
                == FaultRule(.partialApply, path: "/schema/apply", times: nil))
        #expect(FaultRule(argument: "explode") == nil)
    }
}
