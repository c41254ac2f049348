import DirectusSchema
import Foundation
import Testing

/// The tape must give exactly what the tree gives: the same values, canonical bytes and hash, the same errors.
@Suite("JSON tape")
struct JSONTapeTests {
    static let samples = [
        #"{"b":1,"10":2,"a":3,"2":4,"01":5,"4294967295":6}"#,
        #"{"a":1,"b":2,"a":3}"#,
        #"[1.50, 1.5, 1e3, 1000, -0, 0, 123456789012345, 1234567890123456789, -12, 0.1, 1E-7, 5e+21]"#,
        #"{"s":"tab\tquote\"slash\/back\\ \u00e9 \ud83d\ude00 lone \ud800 end","é":"ü","\u0041":"A","A":"a"}"#,
        "{\"bad\":\"\u{FFFD}\", \"raw\":\"caf\u{00E9} \u{E000} \u{1F600}\"}",
        #"  { "nested" : { "z" : [ ] , "y" : { } , "x" : [ null , true , false ] } }  "#,
        #"[]"#, #"{}"#, #""text""#, #"42"#, #"null"#,
        #"{"k":{"b":1,"a":2,"b":3},"list":[{"q":1,"p":2}]}"#,
    ]

    @Test("values, canonical bytes and hashes equal the tree's, for every sample", arguments: samples)
    func sameAsTree(_ text: String) throws {
        let bytes = Array(text.utf8)
        let tape = try JSONTape.parse(bytes)
        let tree = try JSONParser.parse(bytes)
        #expect(tape.value(at: JSONTape.root).jsonString == tree.jsonString)
        #expect(tape.canonicalBytes() == JSONWriter.canonical.bytes(tree))
        #expect(tape.canonicalSHA256() == Snapshot.sha256(JSONWriter.canonical.bytes(tree)))
        #expect(try JSONParser.parse(Array(tape.compactBytes())).jsonString == tree.jsonString)
    }

    @Test("a compact text is sliced, not rewritten; white space or a repeated key makes it rewritten")
    func compactCopy() throws {
        let compact = #"{"data":{"b":[1,{"c":"d"}],"a":"\u00e9"}}"#
        let tape = try JSONTape.parse(Array(compact.utf8))
        let data = try #require(tape.member("data", of: JSONTape.root))
        #expect(String(decoding: tape.compactBytes(of: data), as: UTF8.self) == #"{"b":[1,{"c":"d"}],"a":"\u00e9"}"#)
        let spaced = try JSONTape.parse(Array(#"{"data": {"b": 1}}"#.utf8))
        let spacedData = try #require(spaced.member("data", of: JSONTape.root))
        #expect(String(decoding: spaced.compactBytes(of: spacedData), as: UTF8.self) == #"{"b":1}"#)
        let repeated = try JSONTape.parse(Array(#"{"data":{"b":1,"b":2}}"#.utf8))
        let repeatedData = try #require(repeated.member("data", of: JSONTape.root))
        #expect(String(decoding: repeated.compactBytes(of: repeatedData), as: UTF8.self) == #"{"b":2}"#)
    }

    @Test("invalid UTF-8 inside a string is read as the tree reads it (U+FFFD)")
    func invalidUTF8() throws {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF8] + Array(#""}"#.utf8)
        let tape = try JSONTape.parse(bytes)
        let tree = try JSONParser.parse(bytes)
        #expect(tape.canonicalBytes() == JSONWriter.canonical.bytes(tree))
        #expect(tape.value(at: JSONTape.root).jsonString == tree.jsonString)
    }

    @Test(
        "syntax errors are the parser's, with the same line and column",
        arguments: [
            "", "{", "[1,]", #"{"a" 1}"#, #"{"a":1,}"#, "[01]", "[1.]", "[1e]", "tru", #""\x""#, #""\u12G4""#,
            "\"a\u{01}\"", "[1] 2", "{\n  \"a\": [1, 2\n", #""unterminated"#, "-", "[-a]",
            String(repeating: "[", count: 600),
        ])
    func errors(_ text: String) {
        let bytes = Array(text.utf8)
        var treeError: JSONParser.SyntaxError?
        do { _ = try JSONParser.parse(bytes) } catch { treeError = error }
        var tapeError: JSONParser.SyntaxError?
        do { _ = try JSONTape.parse(bytes) } catch { tapeError = error }
        #expect(treeError != nil)
        #expect(tapeError == treeError)
    }

    @Test("every corpus snapshot: the tape's canonical hash is the tree's content hash")
    func corpus() throws {
        var checked = 0
        for name in SharedFixtures.files(in: SharedFixtures.corpus) {
            let bytes = Array(try Data(contentsOf: SharedFixtures.corpus.appendingPathComponent(name)))
            // A few `.json` files of the corpus hold YAML (ODDITIES.md); both parsers must refuse them.
            guard let tree = try? JSONParser.parse(bytes) else {
                #expect(throws: JSONParser.SyntaxError.self) { try JSONTape.parse(bytes) }
                continue
            }
            let tape = try JSONTape.parse(bytes)
            #expect(tape.canonicalSHA256() == Snapshot.sha256(JSONWriter.canonical.bytes(tree)), "\(name)")
            #expect(try JSONParser.parse(Array(tape.compactBytes())) == tree, "\(name)")
            checked += 1
        }
        #expect(checked > 20)
    }

    @Test("every YAML snapshot of the corpus, written as indented JSON: the same hash as its tree")
    func corpusYAML() throws {
        for name in SharedFixtures.files(in: SharedFixtures.corpus, suffix: ".yaml") {
            guard
                let snapshot = try? SnapshotLoader.load(
                    contentsOfFile: SharedFixtures.corpus.appendingPathComponent(name).path
                ).snapshot
            else { continue }
            let tape = try JSONTape.parse(JSONWriter(layout: .indented("  ")).bytes(snapshot.json))
            #expect(tape.hasWhitespace)
            #expect(tape.canonicalSHA256() == snapshot.contentHash, "\(name)")
            #expect(try JSONParser.parse(Array(tape.compactBytes())) == snapshot.json, "\(name)")
        }
    }
}
