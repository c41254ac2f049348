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

/// `directus-promoter run` promoting reference data with the schema, as a real process over three emulators.
@Suite("Reference data promotion, as real processes", .serialized)
struct ContentProcessTests {

    @Test("a new collection and its rows go out as one release; a row edited on production is drift, accepted")
    func release() async throws {
        try await withDaemonHarness(dev: ReferenceData.snapshot, targets: ReferenceData.withoutCountriesAndCities) {
            h in
            await h.dev.setItemRows(ReferenceData.countries(250, firstID: 501), for: "countries")
            let paris: JSONValue = ["id": 1, "name": "Paris", "country": 501, "user_created": nil]
            await h.dev.setItemRows([paris.objectValue!], for: "cities")
            try h.writeConfig(
                extra: """
                    promote: [schema, content]
                    content:
                      collections:
                        - {collection: countries, identity: code, policy: mirror}
                        - {collection: cities, identity: name}
                    """)
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually(300) { h.latest("production")?.state == .awaitingApproval }, "\(h.log)")
            let id = try #require(h.latest("production")?.id)
            let show = try await h.cli(["show", "\(id)"])
            #expect(show.standardOutput.contains("Reference data"), "\(show.standardOutput)")
            #expect(show.standardOutput.contains("countries: +250 rows, ~0 rows, -0"))
            #expect(show.standardOutput.contains("cities: +1 row, ~0 rows, -0"))
            let approve = try await h.cli(["approve", "\(id)"])
            #expect(approve.status == 0, "\(approve.standardError)")
            #expect(try await eventually(300) { h.latest("production")?.state == .applied }, "\(h.log)")
            let countries = await h.production.itemRows("countries")
            #expect(countries.count == 250)
            let france = try #require(countries.first { $0["code"] == "AA" })
            #expect(france["id"] == 1, "the target's own key")
            #expect(await h.production.itemRows("cities").first?["country"] == 1)
            let revision = try #require(h.latest("production")?.revisionID)
            let export = try await h.cli(["snapshot", "export", "r\(revision)", "--content", "--format", "json"])
            #expect(export.status == 0, "\(export.standardError)")
            #expect(try JSONParser.parse(export.standardOutput)["collections"]?["countries"]?["AA"] != nil)

            // Someone renames a country directly on production: drift of its reference data, then accepted.
            var edited = countries
            edited[0]["name"] = "Renamed on production"
            await h.production.setItemRows(edited, for: "countries")
            var listing = try await h.cli(["drift", "list"])
            #expect(
                try await eventually(300) {
                    listing = try await h.cli(["drift", "list"])
                    return listing.standardOutput.contains("content")
                }, "\(h.log)")
            #expect(listing.standardOutput.contains("countries AA changed (name)"), "\(listing.standardOutput)")
            let accept = try await h.cli(["drift", "accept", "production"])
            #expect(accept.status == 0, "\(accept.standardError)")
            #expect(accept.standardOutput.contains("its current reference data"))
            #expect(try await h.cli(["drift", "list"]).status == 0)
            #expect(try await stop(daemon) == 0)
        }
    }
}
