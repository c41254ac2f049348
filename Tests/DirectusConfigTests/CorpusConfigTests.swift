import DirectusConfig
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// Every real export in `../shared/corpus-config/` reads into the canonical form.
@Suite("Configuration exports")
struct CorpusConfigTests {
    static var root: URL { Shared.root.appendingPathComponent("corpus-config") }

    /// `project/commit` of every snapshot INDEX.tsv lists.
    static let snapshots: [String] = {
        let text = (try? String(contentsOf: root.appendingPathComponent("INDEX.tsv"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().compactMap { $0.split(separator: "\t").first.map(String.init) }
    }()

    static func read(_ path: String) throws -> ConfigExport {
        try ConfigExportReader.read(directory: root.appendingPathComponent(path).path)
    }

    @Test("INDEX.tsv lists all 59 snapshots")
    func indexed() {
        #expect(Self.snapshots.count == 59)
    }

    @Test("every export reads and normalises", arguments: snapshots)
    func normalises(path: String) throws {
        let export = try Self.read(path)
        #expect(!export.rows.isEmpty, "\(path) has configuration")
        let snapshot = ConfigNormalizer.snapshot(of: export)
        let json = String(decoding: snapshot.canonicalJSON, as: UTF8.self)
        #expect(!json.contains(ConfigNormalizer.mask), "no masked secret survives")
        for entity in snapshot.entities.values {
            let keys = entity.fields.objectValue?.keys ?? []
            for field in ["id", "_syncId", "date_created", "user_created", "project_id", "users", "children"] {
                #expect(!keys.contains(field), "\(entity.key) keeps \(field)")
            }
        }
        #expect(snapshot.contentHash.count == 64)
        // The same export read twice, its rows in another order, has the same hash.
        var shuffled = export
        for (kind, rows) in shuffled.rows { shuffled.rows[kind] = rows.reversed() }
        #expect(ConfigNormalizer.snapshot(of: shuffled).contentHash == snapshot.contentHash, "order-independent")
    }
}
