import DirectusContent
import DirectusSchema
import Foundation
import PromotionStore
import TestSupport
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func sampleSnapshot(_ note: String = "note") -> Snapshot {
    var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
    snapshot.collections = [
        ["collection": "articles", "meta": ["note": .string(note)], "schema": ["name": "articles"]]
    ]
    snapshot.fields = [
        ["collection": "articles", "field": "id", "type": "integer", "meta": nil, "schema": ["name": "id"]]
    ]
    return snapshot
}

func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/state/promoter.sqlite")
        .path
}

/// A store with the three usual environments and one revision.
func seededStore(_ store: Store) throws -> RevisionRecord {
    for name in ["development", "staging", "production"] {
        try store.recordEnvironment(
            name: name, url: "https://\(name).example.com", directusVersion: "11.17.4", vendor: "postgres", at: t0)
    }
    let hash = try store.recordSnapshot(sampleSnapshot(), at: t0)
    return try store.recordRevision(environment: "development", snapshotHash: hash, at: t0)
}

@Suite("Store")
struct StoreTests {
    @Test("migrations run on open, in memory and on a file")
    func migrations() throws {
        #expect(
            try Store.inMemory().appliedMigrations() == [
                "v1-history-and-promotions", "v2-machine-memory-and-content-keys", "v3-expectations-and-drift",
                "v4-webhook-deliveries", "v5-approvals-despite-warnings", "v6-promotion-states-checked",
                "v7-configuration", "v8-content",
            ])
        let path = temporaryDatabasePath()
        let first = try Store.open(path: path)
        #expect(
            try first.appliedMigrations() == [
                "v1-history-and-promotions", "v2-machine-memory-and-content-keys", "v3-expectations-and-drift",
                "v4-webhook-deliveries", "v5-approvals-despite-warnings", "v6-promotion-states-checked",
                "v7-configuration", "v8-content",
            ])
        _ = try seededStore(first)
        // Opening again migrates nothing and keeps the data.
        let second = try Store.open(path: path)
        #expect(try second.environments().count == 3)
        #expect(try second.integrityCheck() == "ok")
    }

    @Test("the file is 0600 in a 0700 directory")
    func permissions() throws {
        let path = temporaryDatabasePath()
        _ = try Store.open(path: path)
        let file = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let directory =
            try FileManager.default.attributesOfItem(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)[
                .posixPermissions] as? Int
        #expect(file == 0o600)
        #expect(directory == 0o700)
    }

    @Test("a snapshot seen 1,000 times is stored once, and reads back exactly")
    func deduplication() throws {
        let store = try Store.inMemory()
        try store.recordEnvironment(name: "development", url: "http://dev", directusVersion: nil, vendor: nil, at: t0)
        var results: [ObservationResult] = []
        for poll in 0..<1000 {
            results.append(
                try store.recordObservation(
                    environment: "development", snapshot: sampleSnapshot(), at: t0.addingTimeInterval(Double(poll))))
        }
        #expect(try store.snapshotStorage().count == 1)
        #expect(results.first?.isNewSnapshot == true)
        #expect(results.first?.changed == true)
        #expect(results.dropFirst().allSatisfy { !$0.isNewSnapshot && !$0.changed })
        let changed = try store.recordObservation(environment: "development", snapshot: sampleSnapshot("other"), at: t0)
        #expect(changed.changed && changed.isNewSnapshot)
        let hash = try #require(results.first?.snapshotHash)
        #expect(try store.snapshot(hash: hash)?.json.jsonString == sampleSnapshot().json.jsonString)
    }

    @Test("real snapshots compress well and read back byte for byte")
    func compression() throws {
        let store = try Store.inMemory()
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(
                "shared/corpus/0ctave__BAC-evolved__directus__template__src__schema__snapshot__cce860c3.json")
        let snapshot = try SnapshotLoader.load(contentsOfFile: file.path).snapshot
        let hash = try store.recordSnapshot(snapshot, at: t0)
        let storage = try store.snapshotStorage()
        #expect(storage.storedBytes * 10 < storage.originalBytes, "\(storage)")
        #expect(try store.snapshot(hash: hash)?.json.jsonString == snapshot.json.jsonString)
    }

    @Test("delta compression against a base reads back exactly")
    func deltaCodec() throws {
        let base = Array(JSONWriter().bytes(sampleSnapshot("a").json))
        let next = Array(JSONWriter().bytes(sampleSnapshot("b").json))
        let delta = try SnapshotCodec.compress(next, against: base)
        #expect(try SnapshotCodec.decompress(delta, size: next.count, against: base) == next)
        #expect(throws: SnapshotCodec.Failure.self) {
            try SnapshotCodec.decompress(delta, size: next.count + 1, against: base)
        }
    }

    @Test("uniqueness and foreign keys are enforced")
    func constraints() throws {
        let store = try Store.inMemory()
        let revision = try seededStore(store)
        #expect(throws: StoreError.self) {
            try store.recordRevision(environment: "nowhere", snapshotHash: revision.snapshotHash, at: t0)
        }
        #expect(throws: StoreError.self) {
            try store.recordRevision(
                environment: "development", snapshotHash: String(repeating: "0", count: 64), at: t0)
        }
        let first = try store.createPromotion(
            revisionID: revision.id, target: "staging", state: .planning, diffID: nil, actor: "daemon",
            message: "planned", at: t0)
        let again = try store.createPromotion(
            revisionID: revision.id, target: "staging", state: .planning, diffID: nil, actor: "daemon",
            message: "planned", at: t0)
        #expect(first.id == again.id, "one promotion per revision and target")
        #expect(throws: StoreError.self) {
            try store.createPromotion(
                revisionID: 999, target: "staging", state: .planning, diffID: nil, actor: "daemon", message: "x", at: t0
            )
        }
        #expect(throws: StoreError.self) {
            try store.recordDecision(promotionID: 999, kind: .approve, actor: "alice", comment: nil, at: t0)
        }
    }

    @Test("transitions are conditional and each writes its event")
    func transitions() throws {
        let store = try Store.inMemory()
        let revision = try seededStore(store)
        let promotion = try store.createPromotion(
            revisionID: revision.id, target: "production", state: .awaitingApproval, diffID: nil, actor: "daemon",
            message: "waiting for approval", at: t0)
        try store.recordDecision(promotionID: promotion.id, kind: .approve, actor: "alice", comment: "ship it", at: t0)
        #expect(try store.pendingDecisions().map(\.actor) == ["alice"])
        let moved = try store.applyTransition(
            promotionID: promotion.id, from: .awaitingApproval, to: .approved,
            changes: .init(attemptsDelta: 1, preApplySnapshotHash: .some(revision.snapshotHash), lastError: .some(nil)),
            actor: "daemon", message: "approved by alice", at: t0.addingTimeInterval(5))
        #expect(moved.state == .approved)
        #expect(moved.attempts == 1)
        #expect(moved.preApplySnapshotHash == revision.snapshotHash)
        #expect(
            throws: StoreError.stateChanged(promotion: promotion.id, expected: .awaitingApproval, found: .approved)
        ) {
            try store.applyTransition(
                promotionID: promotion.id, from: .awaitingApproval, to: .rejected, actor: "bob", message: "late",
                at: t0)
        }
        let events = try store.events(promotionID: promotion.id)
        #expect(events.map(\.kind) == ["promotion.created", "decision.approve", "promotion.approved"])
        #expect(events[1].message == "alice chose to approve promotion \(promotion.id): ship it")
        try store.consumeDecision(id: try #require(store.pendingDecisions().first?.id), at: t0)
        #expect(try store.pendingDecisions().isEmpty)
        #expect(try store.promotionsInFlight(finalStates: [.applied, .rejected]).map(\.id) == [promotion.id])
        #expect(try store.history(limit: 10, target: "production").count == 1)
        #expect(try store.history(limit: 10, target: "staging").isEmpty)
        #expect(try store.promotionCounts() == [.approved: 1])
        #expect(try store.promotions(inStates: [.approved, .applying]).map(\.id) == [promotion.id])
        #expect(try store.promotions(inStates: [.applied]).isEmpty)
    }

    @Test("the audit log is append-only")
    func appendOnly() async throws {
        let path = temporaryDatabasePath()
        let store = try Store.open(path: path)
        _ = try seededStore(store)
        try store.appendEvent(
            kind: "drift.detected", actor: "daemon", environment: "production", message: "drift", at: t0)
        // Even a direct connection cannot rewrite history.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, "UPDATE event SET message = 'edited'; DELETE FROM event;"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = try await offThePool {
            process.waitUntilExit()
            return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(text.contains("append-only"))
        #expect(try store.recentEvents(limit: 5).first?.message == "drift")
    }

    @Test("a stored snapshot that does not match its content hash is reported as damage, not returned")
    func damagedSnapshot() async throws {
        let path = temporaryDatabasePath()
        let store = try Store.open(path: path)
        let first = try store.recordSnapshot(sampleSnapshot("first"), at: t0)
        let second = try store.recordSnapshot(sampleSnapshot("second"), at: t0)
        #expect(try store.snapshot(hash: second)?.contentHash == second)
        // The second row made to hold the first's bytes (a damaged file, a bad restore).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [
            path,
            """
            UPDATE snapshot SET content = (SELECT content FROM snapshot WHERE hash = '\(first)'),
                size = (SELECT size FROM snapshot WHERE hash = '\(first)'), base_hash = NULL
            WHERE hash = '\(second)';
            """,
        ]
        try process.run()
        try await offThePool { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
        #expect(throws: StoreError.corrupt("snapshot \(second.prefix(12)) does not match its content hash")) {
            try store.snapshot(hash: second)
        }
        #expect(try store.snapshot(hash: first)?.contentHash == first)
    }

    @Test("diffs are stored compressed with their classification")
    func diffs() throws {
        let store = try Store.inMemory()
        let revision = try seededStore(store)
        let diff = SnapshotDiffer.diff(current: sampleSnapshot("a"), after: sampleSnapshot("b"))
        let record = try store.recordDiff(
            revisionID: revision.id, target: "staging", directusHash: "abc", targetSnapshotHash: revision.snapshotHash,
            diff: diff.json(), summary: Plan.Summary(creates: 0, updates: 1, deletes: 0, destructive: 0), at: t0)
        #expect(record.updates == 1)
        #expect(try store.diffContent(id: record.id)?.jsonString == diff.json().jsonString)
    }

    @Test("retention keeps changes, errors and run boundaries, and thins unchanged polls")
    func retention() throws {
        let store = try Store.inMemory()
        try store.recordEnvironment(name: "production", url: "http://p", directusVersion: nil, vendor: nil, at: t0)
        // 1,440 polls a minute apart (a day), one change at poll 700, one error at poll 900.
        for minute in 0..<1440 {
            let at = t0.addingTimeInterval(Double(minute * 60))
            if minute == 900 {
                _ = try store.recordObservation(environment: "production", snapshot: nil, error: "timeout", at: at)
            } else {
                _ = try store.recordObservation(
                    environment: "production", snapshot: sampleSnapshot(minute < 700 ? "a" : "b"), at: at)
            }
        }
        let removed = try store.thinObservations(keepAllAfter: t0.addingTimeInterval(1440 * 60), interval: 3600)
        let kept = try store.observationCount(environment: "production")
        #expect(removed + kept == 1440)
        #expect(kept < 40, "about one an hour, plus the change, the error and run boundaries: \(kept)")
        #expect(kept > 24)
    }
}

@Suite("Store: delta-compressed history")
struct StoreDeltaTests {
    @Test("a real history is stored as deltas, each version readable on its own, chains bounded")
    func realHistory() throws {
        let directory = Shared.corpus.appendingPathComponent("history/jsdelivr-globalping-dash-directus")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json")
        }.sorted().prefix(30)
        #expect(files.count == 30)
        let store = try Store.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordEnvironment(name: "development", url: "http://dev", directusVersion: nil, vendor: nil, at: t0)
        var snapshots: [Snapshot] = []
        for (index, file) in files.enumerated() {
            let snapshot = try SnapshotLoader.load(contentsOfFile: directory.appendingPathComponent(file).path).snapshot
            snapshots.append(snapshot)
            _ = try store.recordObservation(
                environment: "development", snapshot: snapshot, at: t0.addingTimeInterval(Double(index) * 60))
        }
        let storage = try store.snapshotStorage()
        var whole = 0
        for snapshot in snapshots {
            whole += try SnapshotCodec.compress(JSONWriter().bytes(snapshot.json)).count
        }
        #expect(storage.storedBytes * 4 < whole, "deltas: \(storage.storedBytes) bytes vs \(whole) compressed whole")
        for snapshot in snapshots {
            #expect(try store.snapshot(hash: snapshot.contentHash)?.contentHash == snapshot.contentHash)
        }
    }

    @Test("chains stop at the maximum depth and start again from a whole snapshot")
    func boundedChains() throws {
        let store = try Store.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordEnvironment(name: "development", url: "http://dev", directusVersion: nil, vendor: nil, at: t0)
        var snapshot = Fixtures.fieldsChange
        var hashes: [String] = []
        for index in 0..<(Store.maxDeltaDepth * 2 + 3) {
            // Small snapshots: a few hundred deltas take a second.
            snapshot.root["note_\(index)"] = .string("revision \(index)")
            hashes.append(
                try store.recordObservation(
                    environment: "development", snapshot: snapshot, at: t0.addingTimeInterval(Double(index))
                ).snapshotHash ?? "")
        }
        let depths = try hashes.map { try store.snapshotDeltaDepth($0) }
        #expect(depths.max() == Store.maxDeltaDepth)
        #expect(depths.filter { $0 == 0 }.count == 3, "a whole snapshot every \(Store.maxDeltaDepth + 1)")
        let last = Store.maxDeltaDepth * 2 + 2
        let expected = JSONValue.string("revision \(last)")
        #expect(try store.snapshot(hash: hashes.last!)?.root["note_\(last)"] == expected)
    }
}

@Suite("Store: reference data")
struct StoreContentTests {
    @Test("a content set is stored once, read back checked, and its drift recorded once per distinct content")
    func contentHistoryAndDrift() throws {
        let store = try Store.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try store.registerEnvironment(name: "production", url: "http://p")
        let row: JSONValue = ["code": "FR", "name": "France"]
        var content = ContentSet(collections: [
            "countries": ContentSet.Collection(
                name: "countries", rows: ["FR": ContentSet.Row(key: "FR", fields: row.objectValue!)])
        ])
        let hash = try store.storeContent(content, at: t0)
        #expect(try store.storeContent(content, at: t0) == hash)
        #expect(try store.content(hash: hash)?.contentHash == hash)
        #expect(try store.content(hash: String(repeating: "0", count: 64)) == nil)
        let revision = try store.recordRevision(
            environment: "production",
            snapshotHash: try store.recordSnapshot(Snapshot(directus: "11.17.4", vendor: nil), at: t0),
            contentHash: hash, at: t0)
        #expect(try store.revision(id: revision.id)?.contentHash == hash)
        try store.setContentExpectation(
            environment: "production", contentHash: hash, reason: .verified, actor: "test", message: nil, at: t0)
        content.collections["countries"]!.rows["FR"]!.fields["name"] = "Frankreich"
        let drifted = try store.storeContent(content, at: t0)
        #expect(
            try store.recordContentDrift(
                environment: "production", observedHash: drifted, expectedHash: hash, summary: "countries: ~1 row",
                details: nil, at: t0))
        #expect(
            try !store.recordContentDrift(
                environment: "production", observedHash: drifted, expectedHash: hash, summary: "countries: ~1 row",
                details: nil, at: t0))
        #expect(try store.contentDrifts().map(\.environment) == ["production"])
        _ = try store.acceptContentDrift(environment: "production", actor: "alice-test", comment: nil, at: t0)
        #expect(try store.contentDrift(environment: "production") == nil)
        #expect(try store.contentExpectation(environment: "production") == drifted)
    }
}
