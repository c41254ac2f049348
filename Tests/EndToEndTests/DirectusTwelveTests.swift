import DirectusEmulator
import DirectusSchema
import Foundation
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `directus-promoter run` against emulators of Directus 12 releases and of mixed fleets, as real processes.
@Suite("Directus 12 fleets", .serialized)
struct DirectusTwelveTests {
    /// Development's schema: the demo's `summary` added, `articles.body` removed, and a `scratch` collection
    /// development keeps to itself (`ignore: [scratch]`).
    static let development: Snapshot = {
        var snapshot = DemoSchema.withSummary
        snapshot.fields.removeAll { $0["collection"] == "articles" && $0["field"] == "body" }
        snapshot.collections.append(DemoSchema.collection("scratch", icon: "draft"))
        snapshot.fields.append(DemoSchema.primaryKey("scratch"))
        return snapshot
    }()

    static func fields(_ snapshot: Snapshot, of collection: String = "articles") -> [String] {
        snapshot.fields.filter { $0["collection"]?.stringValue == collection }.compactMap { $0["field"]?.stringValue }
    }

    @Test("12.4, 12.4 and 12.3: promoted past the version label, merge mode on production, scratch never polled")
    func twelveFleet() async throws {
        try await withDaemonHarness(
            dev: Self.development,
            versions: ["development": "12.4.0", "staging": "12.4.0", "production": "12.3.0"]
        ) { h in
            try h.writeConfig(environmentExtra: [
                "development": ["ignore: [scratch]"], "production": ["destructive: never"],
            ])
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval }, "\(h.log)")
            let id = try #require(h.latest("production")?.id)
            let show = try await h.cli(["show", "\(id)"])
            #expect(show.standardOutput.contains("same snapshot format"), "\(show.standardOutput)")
            #expect(show.standardOutput.contains("merge mode"))
            let approve = try await h.cli(["approve", "\(id)"])
            #expect(approve.status == 0, "\(approve.standardError)")
            #expect(try await eventually(10) { h.latest("production")?.state == .applied }, "\(h.log)")

            let staging = await h.staging.schema()
            #expect(Self.fields(staging).contains("summary"))
            #expect(!Self.fields(staging).contains("body"), "staging mirrors development")
            #expect(!staging.collections.contains { $0["collection"] == "scratch" })
            let production = await h.production.schema()
            #expect(Self.fields(production).contains("summary"))
            #expect(Self.fields(production).contains("body"), "merge mode deletes nothing")

            let productionDiffs = await h.production.queries(method: "POST", path: "/schema/diff")
            #expect(!productionDiffs.isEmpty)
            #expect(productionDiffs.allSatisfy { $0["mode"] == "merge" && $0["force"] == "true" })
            let stagingDiffs = await h.staging.queries(method: "POST", path: "/schema/diff")
            #expect(stagingDiffs.allSatisfy { $0["mode"] == nil && $0["force"] == nil })
            let polls = await h.dev.queries(method: "GET", path: "/schema/snapshot")
            #expect(!polls.isEmpty && polls.allSatisfy { $0["excludeCollections"] == "scratch" })
            #expect(try await stop(daemon) == 0)
        }
    }

    @Test("12.4, 12.3 and 11.17: production is blocked naming both releases until force: true, then promoted")
    func mixedFleet() async throws {
        try await withDaemonHarness(
            dev: Self.development,
            versions: ["development": "12.4.0", "staging": "12.3.0", "production": "11.17.4"]
        ) { h in
            try h.writeConfig(environmentExtra: [
                "development": ["ignore: [scratch]"], "production": ["destructive: never", "approval: automatic"],
            ])
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .blocked }, "\(h.log)")
            #expect(h.latest("staging")?.state == .applied)
            let blocked = try #require(h.latest("production"))
            let reason = blocked.lastError ?? ""
            #expect(reason.contains("12.4.0") && reason.contains("11.17.4"), "\(reason)")
            #expect(reason.contains("force: true on production"))
            #expect(await h.production.requestCount(method: "POST", path: "/schema/diff") == 0)
            let status = try await h.cli(["status"])
            #expect(status.standardOutput.contains("11.17.4"), "\(status.standardOutput)")

            // The deliberate override: force on production, a reload, and a retry.
            try h.writeConfig(environmentExtra: [
                "development": ["ignore: [scratch]"],
                "production": ["destructive: never", "approval: automatic", "force: true"],
            ])
            kill(daemon.processIdentifier, SIGHUP)
            #expect(try await eventually(10) { h.log.contains("configuration reloaded") })
            let retry = try await h.cli(["retry", "\(blocked.id)"])
            #expect(retry.status == 0, "\(retry.standardError)")
            #expect(try await eventually(15) { h.latest("production")?.state == .applied }, "\(h.log)")
            let production = await h.production.schema()
            #expect(Self.fields(production).contains("summary"))
            #expect(Self.fields(production).contains("body"), "destructive: never, by the client's filter on 11.17")
            let diffs = await h.production.queries(method: "POST", path: "/schema/diff")
            #expect(!diffs.isEmpty && diffs.allSatisfy { $0["force"] == "true" && $0["mode"] == nil })
            #expect(try await stop(daemon) == 0)
        }
    }

    @Test("an upload at or above IMPORT_MAX_FILE_SIZE: blocked with the setting to raise")
    func uploadCap() async throws {
        try await withDaemonHarness(
            versions: ["development": "12.4.0", "staging": "12.4.0", "production": "12.4.0"],
            adjust: { name, configuration in if name == "production" { configuration.importMaxFileSize = 2_000 } }
        ) { h in
            try h.writeConfig(environmentExtra: ["production": ["limits:", "  multipart_threshold: 1000"]])
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .blocked }, "\(h.log)")
            #expect(h.latest("staging")?.state == .applied)
            let reason = h.latest("production")?.lastError ?? ""
            #expect(reason.contains("IMPORT_MAX_FILE_SIZE"), "\(reason)")
            #expect(reason.contains("raise IMPORT_MAX_FILE_SIZE"))
            #expect(reason.contains("bytes"))
            let show = try await h.cli(["show", "\(try #require(h.latest("production")?.id))"])
            #expect(show.standardOutput.contains("IMPORT_MAX_FILE_SIZE"))
            #expect(try await stop(daemon) == 0)
        }
    }
}
