import DirectusSchema
import Foundation

/// Removing entries from a Directus diff's JSON, keeping everything else (and the key order) as Directus sent it:
/// Directus applies any subset of a diff under the same hash, since the hash identifies the target's schema.
public enum DiffFilter {
    public static let sections = ["collections", "fields", "systemFields", "relations"]

    public static func removeEntries(
        from diff: JSONValue, where shouldRemove: (JSONValue) -> Bool, sections: [String] = sections
    ) -> (diff: JSONValue, removed: Int) {
        guard var object = diff.objectValue else { return (diff, 0) }
        var removed = 0
        for section in sections {
            guard let entries = object[section]?.arrayValue else { continue }
            let kept = entries.filter { !shouldRemove($0) }
            removed += entries.count - kept.count
            object[section] = .array(kept)
        }
        return (.object(object), removed)
    }

    /// Whether every section is empty: nothing would be applied.
    public static func isEmpty(_ diff: JSONValue) -> Bool {
        sections.allSatisfy { (diff[$0]?.arrayValue ?? []).isEmpty }
    }
}
