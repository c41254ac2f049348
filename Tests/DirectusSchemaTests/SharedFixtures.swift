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

    /// The v12 cases' folder.
    static var v12: URL { conformance.appendingPathComponent("v12") }

    /// A case read from a path relative to `root`, with the folder its own references are relative to: v12 cases
    /// resolve from `v12/`, 11.x cases from the conformance root.
    static func caseFile(_ path: String, root: URL) throws -> (object: JSONObject, root: URL) {
        let url = root.appendingPathComponent(path).standardizedFileURL
        let relative = String(url.path.dropFirst(conformance.standardizedFileURL.path.count + 1))
        let object = try conformanceCase(relative)
        return (object, relative.hasPrefix("v12/") ? v12 : conformance)
    }

    /// Any reference of the v12 format, resolved from `root`: `{"file"}`, `{"inline"}`, `{"case"}` (that case's
    /// `expect.body.data`) or `{"case", "side"}` (that case's field, itself a reference resolved from its own root).
    static func resolve(_ reference: JSONValue?, root: URL) throws -> JSONValue {
        if let inline = reference?["inline"] { return inline }
        if let file = reference?["file"]?.stringValue {
            return try readJSON(root.appendingPathComponent(file).standardizedFileURL)
        }
        if let path = reference?["case"]?.stringValue {
            let (object, caseRoot) = try caseFile(path, root: root)
            if let side = reference?["side"]?.stringValue { return try resolve(object[side], root: caseRoot) }
            guard let data = object["expect"]?["body"]?["data"] else { throw FixtureError("\(path) has no body") }
            return data
        }
        throw FixtureError("unknown reference \(reference?.jsonString ?? "nil")")
    }

    static func snapshot(_ reference: JSONValue?, root: URL) throws -> Snapshot {
        let value = try resolve(reference, root: root)
        return Snapshot(
            root: (value["data"] != nil && value["version"] == nil ? value["data"] : value)?.objectValue ?? JSONObject()
        )
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
