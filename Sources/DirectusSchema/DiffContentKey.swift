import Crypto

/// What a diff would do to a target, as a key: two diffs with the same key make the same changes.
///
/// Directus's own `hash` identifies the target's schema at diff time, so it moves with any change on the target.
/// An approval is for a set of changes, not for a moment, so the engine compares content keys instead: SHA-256 of
/// the diff's entries in a canonical order (key order, entry order and formatting do not matter), where an edit
/// (`E`) record counts by where it writes and what it writes, not by the value it replaces. A target edited at a
/// spot the diff overwrites anyway keeps the key; a target that gained or lost anything the diff touches changes it.
public enum DiffContentKey {
    public static func key(of diff: JSONValue) -> String {
        var sections: [(String, JSONValue)] = []
        for section in ["collections", "fields", "systemFields", "relations"] {
            let entries = diff[section]?.arrayValue ?? []
            let normalized = entries.map(normalize).map { JSONWriter.canonical.string($0) }.sorted()
            sections.append((section, .array(normalized.map(JSONValue.string))))
        }
        let bytes = JSONWriter.canonical.bytes(.object(JSONObject(sections)))
        return SHA256.hash(data: bytes).hexString
    }

    /// One entry with the replaced values of its edit records removed.
    static func normalize(_ entry: JSONValue) -> JSONValue {
        guard var object = entry.objectValue, let records = object["diff"]?.arrayValue else { return entry }
        object["diff"] = .array(records.map(normalizeRecord))
        return .object(object)
    }

    static func normalizeRecord(_ record: JSONValue) -> JSONValue {
        guard var object = record.objectValue else { return record }
        if object["kind"]?.stringValue == "E" {
            object["lhs"] = nil
        }
        if let item = object["item"] {
            object["item"] = normalizeRecord(item)
        }
        return .object(object)
    }
}
