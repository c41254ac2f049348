import DirectusSchema
import Foundation
import Synchronization
import TestSupport

/// Locates `../shared` (beside the repository; read-only) and reads its cases.
enum SharedFixtures {
    static var conformance: URL { Shared.conformance }
    static var corpus: URL { Shared.corpus }

    static func files(in folder: URL, suffix: String = ".json") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func readJSON(_ url: URL) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    private static let cache = Mutex<[String: JSONObject]>([:])

    /// A conformance case, parsed once per test run.
    static func conformanceCase(_ relativePath: String) throws -> JSONObject {
        if let cached = cache.withLock({ $0[relativePath] }) { return cached }
        guard let object = try readJSON(conformance.appendingPathComponent(relativePath)).objectValue else {
            throw FixtureError("\(relativePath) is not an object")
        }
        cache.withLock { $0[relativePath] = object }
        return object
    }

    /// A `{"file": …}` or `{"inline": …}` reference of a case, resolved to its snapshot value.
    static func snapshotValue(_ reference: JSONValue?) throws -> JSONValue {
        if let inline = reference?["inline"] { return inline }
        if let file = reference?["file"]?.stringValue {
            return try readJSON(conformance.appendingPathComponent(file))
        }
        throw FixtureError("unknown snapshot reference \(reference?.jsonString ?? "nil")")
    }

    static func snapshot(_ reference: JSONValue?) throws -> Snapshot {
        let value = try snapshotValue(reference)
        return Snapshot(root: value.objectValue ?? JSONObject())
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension JSONValue {
    /// Text for exact comparisons: key order kept, numbers as JavaScript writes them.
    var comparableText: String { JSONWriter(numberStyle: .javaScript).string(self) }
}
