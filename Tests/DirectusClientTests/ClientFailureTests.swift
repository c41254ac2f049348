import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

@Suite("Client errors, faults and retries")
struct ClientFailureTests {
    @Test("unreachable and timeout")
    func transport() async throws {
        // A port nothing listens on: take a free one from a server that is then stopped.
        let closedURL = try await withEmulator(try makeEmulator()) { url in url }
        let client = makeClient(closedURL, timeout: .seconds(2)) { $0.retry = .none }
        await #expect {
            try await client.serverInfo()
        } throws: { error in
            guard let error = error as? DirectusClientError else { return false }
            switch error {
            case .unreachable, .timeout:
                return error.description.contains(closedURL) || error.description.contains("timed out")
            default: return false
            }
        }
        // An apply that never left (no connection) is plainly unreachable: nothing to find out.
        let pending = PendingDiff(hash: "h", diff: SnapshotDiff(), raw: SnapshotDiff().json())
        await #expect {
            try await client.apply(pending)
        } throws: { error in
            if case .unreachable = error as? DirectusClientError { return true }
            return false
        }
        let slow = try makeEmulator()
        await slow.inject(FaultRule(.delayResponse(.seconds(3)), path: "/server/info"))
        try await withEmulator(slow) { url in
            let client = makeClient(url, timeout: .milliseconds(500)) { $0.retry = .none }
            await #expect(throws: DirectusClientError.timeout(operation: "server info", after: .milliseconds(500))) {
                try await client.serverInfo()
            }
        }
    }

    @Test("5xx on a safe call is retried with backoff, then succeeds")
    func retriesSafeCalls() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.status(503), path: "/schema/snapshot", times: 2))
        try await withEmulator(emulator) { url in
            let sleeps = RecordedSleeps()
            let client = makeClient(url, sleeps: sleeps)
            _ = try await client.snapshot()
            #expect(await emulator.requestCount(method: "GET", path: "/schema/snapshot") == 3)
            #expect(sleeps.all == [.milliseconds(500), .milliseconds(1000)])
        }
    }

    @Test("429 waits as Retry-After says; retries run out into a typed error")
    func rateLimits() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.status(429), path: "/schema/snapshot"))
        try await withEmulator(emulator) { url in
            let sleeps = RecordedSleeps()
            _ = try await makeClient(url, sleeps: sleeps).snapshot()
            #expect(sleeps.all == [.seconds(1)])
        }
        let down = try makeEmulator()
        await down.inject(FaultRule(.status(502), path: "/schema/snapshot", times: nil))
        try await withEmulator(down) { url in
            await #expect(throws: DirectusClientError.serverError(status: 502, message: "Bad Gateway.")) {
                try await makeClient(url).snapshot()
            }
            #expect(await down.requestCount(method: "GET", path: "/schema/snapshot") == 4)
        }
    }

    @Test("429 on every attempt ends as rateLimited, with the server's Retry-After")
    func rateLimitExhausted() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.status(429), path: "/schema/snapshot", times: nil))
        try await withEmulator(emulator) { url in
            let sleeps = RecordedSleeps()
            await #expect(throws: DirectusClientError.rateLimited(retryAfter: .seconds(1))) {
                try await makeClient(url, sleeps: sleeps).snapshot()
            }
            #expect(sleeps.all == [.seconds(1), .seconds(1), .seconds(1)])
        }
    }

    @Test("an apply that fails half-way is a server error, sent once, and the next diff shows what is left")
    func partialApply() async throws {
        let emulator = try makeEmulator(snapshot: nil)
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            guard case .changes(let pending) = try await client.diff(to: baseSnapshot) else { return }
            await emulator.inject(FaultRule(.partialApply, path: "/schema/apply"))
            await #expect {
                try await client.apply(pending)
            } throws: { error in
                if case .serverError(500, _) = error as? DirectusClientError { return true }
                return false
            }
            #expect(await emulator.requestCount(method: "POST", path: "/schema/apply") == 1)
            guard case .changes(let rest) = try await client.diff(to: baseSnapshot) else {
                Issue.record("a half-done apply leaves changes")
                return
            }
            #expect(rest.diff.allEntries.count < pending.diff.allEntries.count)
            try await client.apply(rest)
            #expect(try await client.diff(to: baseSnapshot) == .inSync)
        }
    }

    @Test("dropped connections and truncated bodies are retried on safe calls")
    func transportFaultsOnSafeCalls() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.dropConnection, path: "/schema/snapshot"))
        await emulator.inject(FaultRule(.truncatedBody, path: "/schema/snapshot"))
        try await withEmulator(emulator) { url in
            _ = try await makeClient(url).snapshot()
            #expect(await emulator.requestCount(method: "GET", path: "/schema/snapshot") == 3)
        }
    }

    @Test("an apply is never sent twice: 503 and dropped connections are reported, not retried")
    func applyIsNeverRetried() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            guard case .changes(let pending) = try await client.diff(to: withExtraField()) else { return }
            await emulator.inject(FaultRule(.status(503), path: "/schema/apply"))
            await #expect(throws: DirectusClientError.serverError(status: 503, message: "Service Unavailable.")) {
                try await client.apply(pending)
            }
            #expect(await emulator.requestCount(method: "POST", path: "/schema/apply") == 1)
            await emulator.inject(FaultRule(.dropConnection, path: "/schema/apply"))
            await #expect {
                try await client.apply(pending)
            } throws: { error in
                if case .applyOutcomeUnknown = error as? DirectusClientError { return true }
                return false
            }
            #expect(await emulator.requestCount(method: "POST", path: "/schema/apply") == 2)
            // The connection dropped after Directus applied: the client could not know, and did not resend.
            #expect(await emulator.applyCount() == 1)
            #expect(try await client.diff(to: withExtraField()) == .inSync)
        }
    }

    @Test("an apply that times out after applying: outcome unknown, and a new diff tells")
    func applyTimeout() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.delayResponse(.seconds(3)), path: "/schema/apply"))
        try await withEmulator(emulator) { url in
            let client = makeClient(url, timeout: .milliseconds(800))
            guard case .changes(let pending) = try await client.diff(to: withExtraField()) else { return }
            await #expect {
                try await client.apply(pending)
            } throws: { error in
                if case .applyOutcomeUnknown = error as? DirectusClientError { return true }
                return false
            }
            #expect(await emulator.requestCount(method: "POST", path: "/schema/apply") == 1)
            #expect(try await client.diff(to: withExtraField()) == .inSync)
        }
    }

    @Test("Directus's refusals become typed errors")
    func refusals() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            var unknownVendor = baseSnapshot
            unknownVendor.root["vendor"] = "sqlite"
            await #expect(throws: DirectusClientError.vendorMismatch(provided: "sqlite", current: "postgres")) {
                try await client.diff(to: unknownVendor)
            }
            var badShape = withExtraField()
            badShape.root["vendor"] = "db2"
            await #expect {
                try await client.diff(to: badShape, force: true)
            } throws: { error in
                (error as? DirectusClientError)
                    == .payloadRejected(
                        reason:
                            "\"vendor\" must be one of [mysql, postgres, cockroachdb, sqlite, oracle, mssql, redshift]")
            }
            guard case .changes(let pending) = try await client.diff(to: withExtraField()) else { return }
            await emulator.inject(FaultRule(.driftBeforeHandling, path: "/schema/apply"))
            await #expect {
                try await client.apply(pending)
            } throws: { error in
                guard case .staleHash(let message)? = error as? DirectusClientError else { return false }
                return message.hasPrefix("Provided hash does not match the current instance's schema hash")
            }
            // The target now has drift_1; applying the first diff once more: the field it creates is there.
            guard case .changes(let fresh) = try await client.diff(to: withExtraField()) else { return }
            try await client.apply(fresh)
            // Applying it again: the hash no longer matches, and its first conflict is the drift field it deletes.
            await #expect(throws: DirectusClientError.conflict(action: "delete", entity: "field", name: "city.drift_1"))
            {
                try await client.apply(fresh)
            }
        }
    }

    @Test("a failed apply names the collection and field")
    func applyFailureNamesTheField() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            // A diff that creates city.population, forced onto a target that has meanwhile got that field: the
            // conflict check is skipped, and Directus's createField stops with the field's name.
            guard case .changes(let pending) = try await client.diff(to: withExtraField()) else { return }
            await emulator.replaceSchema(withExtraField())
            await #expect {
                try await client.apply(pending, force: true)
            } throws: { error in
                guard case .applyFailed(let collection, let name, let message) = error as? DirectusClientError else {
                    return false
                }
                return collection == "city" && name == "population" && message.contains("already exists")
            }
        }
    }

    @Test("a field whose first change adds a property outside meta makes Directus answer 500, as predicted")
    func nestedFieldCreationFails() async throws {
        let emulator = try makeEmulator()
        try await withEmulator(emulator) { url in
            let client = makeClient(url)
            let current = try await client.snapshot()
            // The target lacks schema.is_indexed on a field: the diff's first record for it is N at
            // schema.is_indexed, which Directus hands to createField as if it were a field.
            var desired = current
            var fields = desired.fields
            guard case .object(var field) = fields[1], case .object(var schema)? = field["schema"] else { return }
            schema.removeValue(forKey: "is_indexed")
            field["schema"] = .object(schema)
            fields[1] = .object(field)
            desired.fields = fields
            await emulator.replaceSchema(desired)
            guard case .changes(let pending) = try await client.diff(to: current) else { return }
            let prediction = PlanBuilder.plan(pending.diff, current: desired).warnings
            #expect(prediction.contains { $0.effect == .fails && $0.reason.contains("500") })
            await #expect {
                try await client.apply(pending)
            } throws: { error in
                (error as? DirectusClientError)
                    == .serverError(status: 500, message: "An unexpected error occurred.")
            }
            #expect(SnapshotDiffer.diff(current: await emulator.schema(), after: desired).isEmpty, "nothing applied")
        }
    }

    @Test("oversized and malformed answers")
    func badAnswers() async throws {
        let emulator = try makeEmulator()
        await emulator.inject(FaultRule(.invalidJSON, path: "/schema/snapshot"))
        try await withEmulator(emulator) { url in
            await #expect {
                try await makeClient(url).snapshot()
            } throws: { error in
                if case .malformedResponse = error as? DirectusClientError { return true }
                return false
            }
            await #expect(throws: DirectusClientError.responseTooLarge(limit: 1000)) {
                try await makeClient(url) { $0.maxSnapshotBytes = 1000 }.snapshot()
            }
        }
    }

    @Test("no token or password appears in any log line or error")
    func noSecretsInLogsOrErrors() async throws {
        let logs = LogCapture()
        let clock = ManualClock()
        let emulator = try makeEmulator(clock: clock, accessTTL: 600)
        let descriptions = try await withEmulator(emulator) { url in
            var descriptions: [String] = []
            let credentials = makeClient(
                url, auth: .credentials(email: "admin@example.com", password: Secret(adminPassword)), logs: logs)
            _ = try await credentials.snapshot()
            clock.advance(by: 700)
            _ = try await credentials.snapshot()
            await emulator.inject(FaultRule(.status(503), path: "/schema/snapshot", times: 2))
            _ = try await makeClient(url, logs: logs).snapshot()
            do {
                _ = try await makeClient(url, auth: .staticToken(Secret("wrong-secret-token")), logs: logs).snapshot()
            } catch {
                descriptions.append("\(error)")
            }
            do {
                _ = try await makeClient(
                    url, auth: .credentials(email: "admin@example.com", password: Secret("wrong-secret-password")),
                    logs: logs
                ).snapshot()
            } catch { descriptions.append("\(error)") }
            return descriptions
        }
        let everything = (logs.all + descriptions).joined(separator: "\n")
        #expect(!logs.all.isEmpty)
        for secret in [adminToken, adminPassword, "wrong-secret-token", "wrong-secret-password", "eyJ"] {
            #expect(!everything.contains(secret), "\(secret) leaked")
        }
    }
}
