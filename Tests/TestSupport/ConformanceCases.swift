import DirectusSchema
import Foundation
import Synchronization

/// The conformance cases of `../shared/conformance` (11.x) and `conformance/v12`, read once per run, with the
/// reference forms of both: `{"file"}`, `{"inline"}`, `{"case"}` (that case's `expect.body.data`) and
/// `{"case", "side"}` (that case's field, itself a reference resolved from that case's own root: the conformance
/// folder for 11.x cases, `v12/` for 12.x ones).
public enum ConformanceCases {
    public static var root: URL { Shared.conformance }
    public static var v12: URL { Shared.conformance.appendingPathComponent("v12") }

    private static let cache = Mutex<[String: JSONValue]>([:])

    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The case files of a folder (relative to `conformance/`), without the `_`-prefixed inputs.
    public static func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("_") }.sorted()
    }

    /// A JSON file, by its path relative to `conformance/`, parsed once.
    public static func json(_ relativePath: String) throws -> JSONValue {
        if let cached = cache.withLock({ $0[relativePath] }) { return cached }
        let value = try JSONParser.parse(Array(try Data(contentsOf: root.appendingPathComponent(relativePath))))
        cache.withLock { $0[relativePath] = value }
        return value
    }

    /// A case read from `path` relative to `base`, with the folder its own references resolve from.
    public static func caseFile(_ path: String, base: URL) throws -> (object: JSONObject, base: URL) {
        let url = base.appendingPathComponent(path).standardizedFileURL
        let relative = String(url.path.dropFirst(root.standardizedFileURL.path.count + 1))
        guard let object = try json(relative).objectValue else { throw Unreadable("\(relative) is not an object") }
        return (object, relative.hasPrefix("v12/") ? v12 : root)
    }

    /// A v12 case by its path under `v12/`.
    public static func v12Case(_ path: String) throws -> (object: JSONObject, base: URL) {
        try caseFile(path, base: v12)
    }

    /// Any reference, resolved from `base`.
    public static func resolve(_ reference: JSONValue?, base: URL) throws -> JSONValue {
        if let inline = reference?["inline"] { return inline }
        if let file = reference?["file"]?.stringValue {
            let url = base.appendingPathComponent(file).standardizedFileURL
            return try json(String(url.path.dropFirst(root.standardizedFileURL.path.count + 1)))
        }
        if let path = reference?["case"]?.stringValue {
            let (object, caseBase) = try caseFile(path, base: base)
            if let side = reference?["side"]?.stringValue { return try resolve(object[side], base: caseBase) }
            guard let data = object["expect"]?["body"]?["data"] else { throw Unreadable("\(path) has no body") }
            return data
        }
        throw Unreadable("unknown reference \(reference?.jsonString ?? "nil")")
    }

    /// A reference to a snapshot, resolved from `base`.
    public static func snapshot(_ reference: JSONValue?, base: URL) throws -> Snapshot {
        Snapshot(root: try resolve(reference, base: base).objectValue ?? JSONObject())
    }

    /// The `force` / `mode` / `includeCollections` value of a case's query: a string, or the values of a list.
    public static func queryValues(_ testCase: JSONObject, _ key: String) -> [String]? {
        guard let value = testCase["request"]?["query"]?[key] else { return nil }
        if let text = value.stringValue { return [text] }
        return value.arrayValue?.compactMap(\.stringValue)
    }

    /// The phases `alsoExpect` names, each with releases standing for it; `api: "12.x"` is 12.4+.
    public static let mainPhase = [DirectusVersion(12, 4, 0), DirectusVersion(12, 6, 0)]
    public static let olderPhases: [(label: String, versions: [DirectusVersion])] = [
        ("12.2-12.3", [DirectusVersion(12, 2, 0), DirectusVersion(12, 3, 0)]),
        ("11.17.4/12.0-12.1", [DirectusVersion(11, 17, 4), DirectusVersion(12, 0, 0), DirectusVersion(12, 1, 0)]),
    ]

    /// Each release to check with the answer expected of it: the main phase's, then each older phase's
    /// (`"same as 12.2-12.3"` follows the reference); phases not named answer as the main one. A `note11` naming
    /// another case ("the answer there is the one of X.json", in `folder`) gives 11.17.4/12.0–12.1's answer.
    public static func expectations(
        _ testCase: JSONObject, folder: String = ""
    ) throws -> [(version: DirectusVersion, expect: JSONObject)] {
        guard let main = testCase["expect"]?.objectValue else { throw Unreadable("a case without expect") }
        var result = mainPhase.map { ($0, main) }
        var also = testCase["alsoExpect"]?.objectValue ?? JSONObject()
        if let note = testCase["note11"]?.stringValue, also["11.17.4/12.0-12.1"] == nil {
            let marker = "the answer there is the one of "
            guard let start = note.range(of: marker)?.upperBound,
                let end = note[start...].range(of: ".json")?.upperBound
            else { throw Unreadable("unreadable note11: \(note)") }
            also["11.17.4/12.0-12.1"] = try v12Case(folder + String(note[start..<end])).object["expect"]
        }
        var resolved: [String: JSONObject] = [:]
        for (label, versions) in olderPhases {
            var answer = main
            if let value = also[label] {
                if let object = value.objectValue {
                    answer = object
                } else if let text = value.stringValue, text.hasPrefix("same as "),
                    let other = resolved[String(text.dropFirst("same as ".count))]
                {
                    answer = other
                } else {
                    throw Unreadable("unreadable alsoExpect \(value.jsonString)")
                }
            }
            resolved[label] = answer
            result += versions.map { ($0, answer) }
        }
        return result
    }
}
