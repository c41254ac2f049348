import DirectusSchema
import Foundation
import Testing

@Suite("Directus versions")
struct DirectusVersionTests {
    @Test("parsing and ordering")
    func ordering() throws {
        let versions = [
            "9.0.0-rc.93", "9.0.0", "10.8.3", "10.10.0", "11.1.0", "11.12.0", "11.13.0", "11.17.4", "12.2.0",
        ]
        let parsed = try versions.map { try #require(DirectusVersion($0)) }
        #expect(parsed == parsed.sorted())
        #expect(parsed.map(\.description) == versions)
        #expect(DirectusVersion("11") == DirectusVersion(11, 0, 0))
        #expect(DirectusVersion("eleven") == nil)
        #expect(DirectusVersion("1.x.0") == nil)
    }

    @Test("features by version")
    func features() throws {
        #expect(try #require(DirectusVersion("11.13.0")).hasSystemFields)
        #expect(try !#require(DirectusVersion("11.12.0")).hasSystemFields)
        #expect(try #require(DirectusVersion("11.17.4")).supportsApplyForce)
        #expect(try !#require(DirectusVersion("11.17.3")).supportsApplyForce)
        #expect(try #require(DirectusVersion("12.2.0")).honoursForceValue)
    }

    /// INDEX.tsv's `product_version` column says which release wrote each corpus file.
    @Test("the product version of every corpus file matches INDEX.tsv")
    func corpusProductVersions() throws {
        let index = try String(contentsOf: SharedFixtures.corpus.appendingPathComponent("INDEX.tsv"), encoding: .utf8)
        let rows = index.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        let header = rows[0].map(String.init)
        let fileColumn = try #require(header.firstIndex(of: "file"))
        let productColumn = try #require(header.firstIndex(of: "product_version"))
        var checked = 0
        for row in rows.dropFirst() where row.count > productColumn {
            let expected = String(row[productColumn])
            guard !expected.isEmpty else { continue }
            let path = SharedFixtures.corpus.appendingPathComponent(String(row[fileColumn])).path
            guard let loaded = try? SnapshotLoader.load(contentsOfFile: path) else { continue }
            let resolution = ProductVersionResolver.resolve(loaded.snapshot)
            #expect(resolution.version?.description == expected, "\(row[fileColumn])")
            checked += 1
        }
        #expect(checked >= 95)
    }
}
