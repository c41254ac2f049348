import DirectusSchema
import Foundation

/// A configuration export as it was written: the rows of each configuration collection, with whatever ids and
/// references the tool that wrote it uses (database ids, or directus-sync's `_syncId`s).
public struct ConfigExport: Sendable {
    /// The tool that wrote the export.
    public enum Format: String, Sendable, Hashable {
        /// `directus-template-cli`: one file per collection, the raw REST rows (database ids).
        case templateCLI = "template-cli"
        /// `directus-sync`: one array per collection, `_syncId` instead of ids and in every reference.
        case directusSync = "directus-sync"
        /// Directus's Environment Sync (`d6s`, 12.2+): `{collection, primaryKey, records}` per file.
        case environmentSync = "d6s"
        /// Rows read from a live instance over REST.
        case live
    }

    public var format: Format
    /// The rows of each collection present; a collection absent from the export is absent here (not empty).
    public var rows: [ConfigKind: [JSONObject]]
    /// The writer says the export may lack rows (d6s `incomplete`, an unlicensed 12.x source): never infer
    /// deletions from it.
    public var incomplete: Bool
    /// What was read but is not configuration, or could not be read, in words.
    public var notes: [String]

    public init(format: Format, rows: [ConfigKind: [JSONObject]], incomplete: Bool = false, notes: [String] = []) {
        self.format = format
        self.rows = rows
        self.incomplete = incomplete
        self.notes = notes
    }

    /// Why a folder could not be read as an export.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }
}

/// Reads an export folder of any of the three formats, told apart by their files.
public enum ConfigExportReader {
    /// Files larger than this are refused rather than read into memory.
    public static let maxFileBytes = 64 << 20

    public static func read(directory: String) throws(ConfigExport.ReadError) -> ConfigExport {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw ConfigExport.ReadError(description: "\(directory): cannot list the folder (\(error))")
        }
        var files: [String: JSONValue] = [:]
        for name in names where name.hasSuffix(".json") {
            files[name] = try json(at: (directory as NSString).appendingPathComponent(name))
        }
        if files.keys.contains(where: { $0.hasPrefix("directus-") }) {
            return try environmentSync(files, directory: directory)
        }
        let isSync = files.values.contains { value in
            value.arrayValue?.contains { $0["_syncId"] != nil } ?? false
        }
        return isSync ? directusSync(files) : templateCLI(files)
    }

    static func json(at path: String) throws(ConfigExport.ReadError) -> JSONValue {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, size <= maxFileBytes
        else { throw ConfigExport.ReadError(description: "\(path): unreadable, or larger than \(maxFileBytes) bytes") }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw ConfigExport.ReadError(description: "\(path): cannot be read")
        }
        do {
            return try JSONParser.parse(Array(data))
        } catch {
            throw ConfigExport.ReadError(description: "\(path): not JSON (\(error.message))")
        }
    }

    /// The rows of a file: an array of objects, a single object (settings), or `[]`.
    static func objects(_ value: JSONValue) -> [JSONObject] {
        if let object = value.objectValue { return [object] }
        return value.arrayValue?.compactMap(\.objectValue) ?? []
    }

    // MARK: The formats

    static func templateCLI(_ files: [String: JSONValue]) -> ConfigExport {
        var rows: [ConfigKind: [JSONObject]] = [:]
        var notes: [String] = []
        for (name, value) in files.sorted(by: { $0.key < $1.key }) {
            let stem = String(name.dropLast(".json".count))
            if let kind = ConfigKind(collection: stem) {
                rows[kind] = objects(value)
            } else if stem != "public-permissions" {
                notes.append("\(name): not configuration (left out)")
            }
        }
        // Up to 10.x public rules were also written apart; they are the permission rows with `role: null`.
        if let publicRules = files["public-permissions.json"] {
            let existing = rows[.permission] ?? []
            let publicRows = objects(publicRules).filter { row in
                !existing.contains { $0 == row }
            }
            if !publicRows.isEmpty { rows[.permission] = existing + publicRows }
        }
        return ConfigExport(format: .templateCLI, rows: rows, notes: notes)
    }

    static func directusSync(_ files: [String: JSONValue]) -> ConfigExport {
        var rows: [ConfigKind: [JSONObject]] = [:]
        var notes: [String] = []
        for (name, value) in files.sorted(by: { $0.key < $1.key }) {
            let stem = String(name.dropLast(".json".count))
            guard let kind = ConfigKind(collection: stem) else {
                notes.append("\(name): not configuration (left out)")
                continue
            }
            rows[kind] = objects(value)
        }
        // Access rows are embedded in policies as `roles: [{role, sort}]` (user-bound rows are never exported).
        var access: [JSONObject] = []
        for policy in rows[.policy] ?? [] {
            for link in policy["roles"]?.arrayValue ?? [] {
                var row = JSONObject()
                row["role"] = link["role"] ?? .null
                row["user"] = .null
                row["policy"] = policy["_syncId"] ?? .null
                if let sort = link["sort"] { row["sort"] = sort }
                access.append(row)
            }
        }
        if rows[.policy] != nil { rows[.access] = access }
        return ConfigExport(format: .directusSync, rows: rows, notes: notes)
    }

    static func environmentSync(
        _ files: [String: JSONValue], directory: String
    ) throws(ConfigExport.ReadError) -> ConfigExport {
        var rows: [ConfigKind: [JSONObject]] = [:]
        var notes: [String] = []
        var incomplete = false
        for (name, value) in files.sorted(by: { $0.key < $1.key }) {
            if name == "metadata.json" {
                incomplete = value["incomplete"] == true
                continue
            }
            if name == "id_map.json" { continue }
            guard let collection = value["collection"]?.stringValue, let records = value["records"]?.arrayValue
            else {
                throw ConfigExport.ReadError(
                    description:
                        "\(directory)/\(name): not an Environment Sync file ({collection, primaryKey, records})")
            }
            guard let kind = ConfigKind(collection: collection) else {
                notes.append("\(name): \(collection) is not configuration (left out)")
                continue
            }
            rows[kind, default: []] += records.compactMap(\.objectValue)
        }
        return ConfigExport(format: .environmentSync, rows: rows, incomplete: incomplete, notes: notes)
    }
}
