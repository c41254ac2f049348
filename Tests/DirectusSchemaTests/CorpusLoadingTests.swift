import DirectusSchema
import Foundation
import Testing

/// Every real snapshot of `../shared/corpus` loads, or is rejected with a message naming the problem.
@Suite("Corpus loading")
struct CorpusLoadingTests {
    static let corpusFiles = SharedFixtures.files(in: SharedFixtures.corpus, suffix: "")
        .filter { $0.hasSuffix(".json") || $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }

    /// Files that are not Directus snapshot exports, and the words their rejection must contain.
    static let expectedRejections: [String: String] = [
        "Bitfy-AI__docs-jana__directus__schema.json": "no \"version\"/\"directus\" header",
        "directus-labs__directus-templates__agencyos__src__schema__snapshot.json": "empty object",
    ]

    @Test("the corpus has all 102 files")
    func corpusIsComplete() {
        #expect(Self.corpusFiles.count == 102)
    }

    @Test("each corpus file loads or is rejected precisely", arguments: corpusFiles)
    func loadsOrIsRejected(name: String) throws {
        let path = SharedFixtures.corpus.appendingPathComponent(name).path
        if let expectedWords = Self.expectedRejections[name] {
            let error = #expect(throws: SnapshotLoader.LoadError.self) {
                try SnapshotLoader.load(contentsOfFile: path)
            }
            #expect(error?.description.contains(expectedWords) == true, "\(String(describing: error))")
            #expect(error?.description.hasPrefix(path) == true)
            return
        }
        let loaded = try SnapshotLoader.load(contentsOfFile: path)
        #expect(loaded.snapshot.directus != nil)
        #expect(!loaded.snapshot.collections.isEmpty || loaded.snapshot.fields.isEmpty)
        // The value read must equal Directus's own reading of the file (the conformance conversion).
        let stem = name.replacingOccurrences(of: ".yaml", with: "").replacingOccurrences(of: ".yml", with: "")
            .replacingOccurrences(of: ".json", with: "")
        let reference = try SharedFixtures.readJSON(
            SharedFixtures.conformance.appendingPathComponent("snapshots/\(stem).json"))
        #expect(loaded.snapshot.json.comparableText == reference.comparableText)
    }

    @Test("format is chosen from the content, not the file name")
    func yamlInJsonFile() throws {
        let path = SharedFixtures.corpus.appendingPathComponent("Aaaaaaeon__meme-gale-back__schema-snapshot.json").path
        let loaded = try SnapshotLoader.load(contentsOfFile: path)
        #expect(loaded.format == .yaml)
    }
}
