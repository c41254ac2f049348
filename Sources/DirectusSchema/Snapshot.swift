import Crypto

/// A Directus schema snapshot (`GET /schema/snapshot`), kept as the JSON Directus produced.
///
/// The raw object is kept whole, so unknown keys and key order survive; accessors read the parts the diff and
/// the promotion logic need. Missing lists read as empty, as the diff treats them.
public struct Snapshot: Sendable, Hashable {
    /// The snapshot object, unwrapped from any `{"data": …}` envelope.
    public var root: JSONObject

    public init(root: JSONObject) {
        self.root = root
    }

    /// An empty snapshot of the given Directus version and vendor, as a new instance reports it.
    public init(directus: String, vendor: String?, withSystemFields: Bool = true) {
        var root = JSONObject()
        root["version"] = 1
        root["directus"] = .string(directus)
        if let vendor { root["vendor"] = .string(vendor) }
        root["collections"] = []
        root["fields"] = []
        if withSystemFields { root["systemFields"] = [] }
        root["relations"] = []
        self.root = root
    }

    public var json: JSONValue { .object(root) }

    // MARK: Header

    /// The snapshot format version (`1`; `2` for 12.2 partial snapshots).
    public var formatVersion: JSONValue? { root["version"] }

    /// The `directus` label: the version that wrote the snapshot (see `DirectusVersion.productVersion`).
    public var directus: String? { root["directus"]?.stringValue }

    /// The database vendor, when the snapshot names one (absent before 9.23).
    public var vendor: String? { root["vendor"]?.stringValue }

    /// The vendor named by the snapshot, or worked out from 9.x collection `schema` blocks when it names none.
    public var inferredVendor: String? {
        if let vendor { return vendor }
        for collection in collections {
            guard let schema = collection["schema"]?.objectValue else { continue }
            if schema.contains(key: "sql") { return "sqlite" }
            if schema.contains(key: "engine") || schema.contains(key: "collation") { return "mysql" }
            if schema["schema"]?.stringValue == "public" { return "postgres" }
        }
        return nil
    }

    // MARK: Lists

    public var collections: [JSONValue] {
        get { root["collections"]?.arrayValue ?? [] }
        set { root["collections"] = .array(newValue) }
    }

    public var fields: [JSONValue] {
        get { root["fields"]?.arrayValue ?? [] }
        set { root["fields"] = .array(newValue) }
    }

    /// Indexed system fields (11.13+); empty when the snapshot has none.
    public var systemFields: [JSONValue] {
        get { root["systemFields"]?.arrayValue ?? [] }
        set { root["systemFields"] = .array(newValue) }
    }

    public var relations: [JSONValue] {
        get { root["relations"]?.arrayValue ?? [] }
        set { root["relations"] = .array(newValue) }
    }

    /// Whether the snapshot carries a `systemFields` list at all (11.13+ exports do, even when empty).
    public var hasSystemFields: Bool { root.contains(key: "systemFields") }

    // MARK: Identity

    /// The canonical encoding: keys sorted at every level, no white space, numbers as JavaScript writes them.
    public var canonicalJSON: [UInt8] { JSONWriter.canonical.bytes(json) }

    /// SHA-256 (hex) of the canonical encoding: the snapshot's identity in history. Key order and formatting do
    /// not change it; any change of content does.
    public var contentHash: String {
        SHA256.hash(data: canonicalJSON).hexString
    }

    /// SHA-256 (lower-case hex) of some bytes, as history writes every hash.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hexString
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, as every hash and signature is written.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in self {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Digest {
    var hexString: String { Array(self).hexString }
}

/// A snapshot as an instance sent it, read without building its tree: what history needs to record it (its
/// content hash, a compact copy in its own key order, the version and vendor it names). A poll that finds a new
/// schema needs no more; `snapshot()` builds the tree for whoever needs to compare or plan.
public struct SnapshotDocument: Sendable {
    /// `Snapshot.contentHash` of the same snapshot.
    public let contentHash: String
    /// The snapshot object as compact JSON (`JSONWriter()`'s form when the instance sent compact JSON); a slice
    /// of the body it was read from, not a copy.
    public let compactJSON: ArraySlice<UInt8>
    public let directus: String?
    public let vendor: String?

    /// The snapshot object at `node` of a parsed body.
    public init(tape: JSONTape, node: Int) {
        contentHash = tape.canonicalSHA256(of: node)
        compactJSON = tape.compactBytes(of: node)
        directus = tape.member("directus", of: node).flatMap(tape.stringValue)
        vendor = tape.member("vendor", of: node).flatMap(tape.stringValue)
    }

    /// The snapshot's tree.
    public func snapshot() throws(JSONParser.SyntaxError) -> Snapshot {
        Snapshot(root: try JSONParser.parse(Array(compactJSON)).objectValue ?? JSONObject())
    }
}
