import Foundation

/// Reads snapshot files (JSON or YAML, chosen by content, not by name) and checks that they are usable.
public enum SnapshotLoader {
    /// The text format a snapshot was written in.
    public enum Format: String, Sendable {
        case json
        case yaml
    }

    /// A loaded snapshot and how it was written.
    public struct Loaded: Sendable {
        public var snapshot: Snapshot
        public var format: Format
        /// Whether the document was wrapped in `{"data": …}` (an API response saved as is).
        public var wasWrapped: Bool
    }

    /// Why a document is not a usable snapshot, with where the problem is.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// The file name or other label of the input.
        public var source: String
        public var message: String
        public var line: Int?
        public var column: Int?

        public var description: String {
            var location = source
            if let line {
                location += ":\(line)"
                if let column { location += ":\(column)" }
            }
            return "\(location): \(message)"
        }
    }

    /// Loads and checks the snapshot file at `path`.
    public static func load(contentsOfFile path: String) throws(LoadError) -> Loaded {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError(source: path, message: "no such file")
        }
        if isDirectory.boolValue { throw LoadError(source: path, message: "is a directory, not a snapshot file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw LoadError(source: path, message: "permission denied")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError(source: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try load(bytes: Array(data), source: path)
    }

    /// Loads and checks a snapshot from the bytes of a file or response.
    public static func load(bytes: [UInt8], source: String) throws(LoadError) -> Loaded {
        let (value, format) = try parse(bytes: bytes, source: source)
        guard case .object(var root) = value else {
            throw LoadError(
                source: source,
                message: "expected a snapshot object (version, directus, collections, fields, relations), "
                    + "found \(value.isNull ? "an empty document" : "a top-level \(value.typeName)")")
        }
        var wasWrapped = false
        if root.count == 1, case .object(let inner)? = root["data"] {
            root = inner
            wasWrapped = true
        }
        try check(root, source: source)
        return Loaded(snapshot: Snapshot(root: root), format: format, wasWrapped: wasWrapped)
    }

    /// Parses JSON or YAML, choosing by the first significant character.
    public static func parse(bytes: [UInt8], source: String) throws(LoadError) -> (JSONValue, Format) {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let body = Array(bytes[start...])
        let firstSignificant = body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard firstSignificant != nil else {
            throw LoadError(source: source, message: "the file is empty")
        }
        if firstSignificant == UInt8(ascii: "{") || firstSignificant == UInt8(ascii: "[") {
            do {
                return (try JSONParser.parse(body), .json)
            } catch let jsonError {
                // YAML flow style also starts with a brace; accept it if it reads as YAML.
                if let text = String(validating: body, as: UTF8.self), let value = try? YAMLReader.read(text) {
                    return (value, .yaml)
                }
                throw LoadError(
                    source: source, message: "invalid JSON: \(jsonError.message)", line: jsonError.line,
                    column: jsonError.column)
            }
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw LoadError(source: source, message: "the file is not UTF-8 text")
        }
        do {
            return (try YAMLReader.read(text), .yaml)
        } catch {
            throw LoadError(source: source, message: error.message, line: error.line, column: error.column)
        }
    }

    // MARK: Checks

    private static func check(_ root: JSONObject, source: String) throws(LoadError) {
        func fail(_ message: String) -> LoadError { LoadError(source: source, message: message) }
        if root.isEmpty {
            throw fail("the document is an empty object: it holds no schema (no version, collections or fields)")
        }
        let hasHeader = root.contains(key: "version") || root.contains(key: "directus")
        if !hasHeader {
            if root.contains(key: "collections") || root.contains(key: "fields") {
                throw fail(
                    "no \"version\"/\"directus\" header: this is not a Directus snapshot export (it looks "
                        + "assembled from the /collections, /fields and /relations endpoints); export it with "
                        + "GET /schema/snapshot or `directus schema snapshot`")
            }
            throw fail(
                "not a Directus schema snapshot: expected the keys version, directus, collections, fields "
                    + "and relations, found \(root.keys.prefix(5).joined(separator: ", "))")
        }
        guard let version = root["version"] else { throw fail("the snapshot has no \"version\"") }
        guard let number = version.numberValue, number.doubleValue == 1 || number.doubleValue == 2 else {
            throw fail("\"version\" must be 1 (or 2 for a 12.2 partial snapshot), found \(version.jsonString)")
        }
        guard let directus = root["directus"] else { throw fail("the snapshot has no \"directus\" version") }
        guard directus.stringValue != nil else {
            throw fail(
                "\"directus\" must be a version string, found the \(directus.typeName) \(directus.jsonString)"
                    + " (in YAML, quote it: directus: \"\(directus.jsonString)\")")
        }
        if let vendor = root["vendor"], vendor.stringValue == nil {
            throw fail("\"vendor\" must be a string, found the \(vendor.typeName) \(vendor.jsonString)")
        }
        try checkList(root, "collections", required: true, identity: ["collection"], source: source)
        try checkList(root, "fields", required: true, identity: ["collection", "field"], source: source)
        try checkList(root, "relations", required: false, identity: ["collection", "field"], source: source)
        try checkList(root, "systemFields", required: false, identity: ["collection", "field"], source: source)
    }

    private static func checkList(
        _ root: JSONObject, _ key: String, required: Bool, identity: [String], source: String
    ) throws(LoadError) {
        guard let value = root[key] else {
            if required { throw LoadError(source: source, message: "the snapshot has no \"\(key)\" list") }
            return
        }
        guard case .array(let items) = value else {
            throw LoadError(source: source, message: "\"\(key)\" must be a list, found a \(value.typeName)")
        }
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else {
                throw LoadError(
                    source: source, message: "\(key)[\(index)] must be an object, found a \(item.typeName)")
            }
            for name in identity {
                guard let identityValue = object[name] else {
                    throw LoadError(source: source, message: "\(key)[\(index)] has no \"\(name)\"")
                }
                guard identityValue.stringValue != nil else {
                    throw LoadError(
                        source: source,
                        message: "\(key)[\(index)].\(name) must be a string, found \(identityValue.jsonString)")
                }
            }
        }
    }
}
