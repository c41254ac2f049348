import DirectusSchema
import Foundation

/// Collections and fields an environment owns: left out of drift and out of the diffs applied to it (like Argo
/// CD's `ignoreDifferences`). A pattern is `collection` (the collection, its fields and its relations) or
/// `collection.field`; `*` matches any run of characters within a part (`directus_*`, `*.internal_*`).
public struct IgnoreRules: Sendable, Equatable {
    public var patterns: [String]

    public init(_ patterns: [String] = []) { self.patterns = patterns }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether an entity of `collection` (and `field`, for fields and relations) is ignored.
    public func matches(collection: String, field: String?) -> Bool {
        patterns.contains { pattern in
            let parts = pattern.split(separator: ".", maxSplits: 1).map(String.init)
            guard Self.glob(parts[0], collection) else { return false }
            guard parts.count == 2 else { return true }
            guard let field else { return false }
            return Self.glob(parts[1], field)
        }
    }

    /// A Directus diff (`{collections, fields, systemFields, relations}`) without the ignored entries.
    public func filter(_ diff: JSONValue) -> (diff: JSONValue, removed: Int) {
        guard !isEmpty else { return (diff, 0) }
        return DiffFilter.removeEntries(from: diff) { entry in
            guard let collection = entry["collection"]?.stringValue else { return false }
            return matches(collection: collection, field: entry["field"]?.stringValue)
        }
    }

    /// A parsed diff without the ignored entries.
    public func filter(_ diff: SnapshotDiff) -> SnapshotDiff {
        guard !isEmpty else { return diff }
        func keep(_ entries: [SnapshotDiff.Entry]) -> [SnapshotDiff.Entry] {
            entries.filter { entry in
                !matches(collection: entry.collectionName, field: entry.field == nil ? nil : entry.fieldName)
            }
        }
        return SnapshotDiff(
            collections: keep(diff.collections), fields: keep(diff.fields), systemFields: keep(diff.systemFields),
            relations: keep(diff.relations))
    }

    /// `*` matches any run of characters; everything else literally.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if pieces.count == 1 { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(pieces[0]) else { return false }
        rest = rest.dropFirst(pieces[0].count)
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let range = rest.range(of: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(pieces.last ?? "")
    }
}

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

/// What to do with a plan that destroys data: deletes a collection, field or relation, or changes a field in a way
/// that can lose data (type, nullability, uniqueness, a shorter length).
public enum DestructivePolicy: String, Sendable, Equatable, CaseIterable {
    /// Apply it like any other change.
    case allow
    /// Hold it until someone approves with `--allow-destructive` (even where approval is otherwise automatic).
    case approve
    /// Never apply the destructive changes: they are left out of the diff and reported; the rest is applied.
    case never

    /// The default: the first target allows, later ones (production) need explicit approval.
    public static func defaultPolicy(forTargetAt index: Int) -> DestructivePolicy {
        index == 0 ? .allow : .approve
    }

    /// The diff without its destructive entries (for `never`), judged by the plan made of it.
    public static func withoutDestructive(_ diff: JSONValue, plan: Plan) -> (diff: JSONValue, removed: [Plan.Change]) {
        let destructive = plan.changes.filter(\.isDestructive)
        guard !destructive.isEmpty else { return (diff, []) }
        func key(_ collection: String, _ field: String?, _ related: String?) -> String {
            "\(collection)\u{0}\(field ?? "")\u{0}\(related ?? "")"
        }
        var bySection: [String: Set<String>] = [:]
        for change in destructive {
            bySection[change.entity.listKey, default: []].insert(
                key(change.collection, change.field, change.relatedCollection))
        }
        var object = diff.objectValue ?? JSONObject()
        for (section, keys) in bySection {
            let entries = object[section]?.arrayValue ?? []
            object[section] = .array(
                entries.filter { entry in
                    let entryKey = key(
                        entry["collection"]?.stringValue ?? "", entry["field"]?.stringValue,
                        entry["related_collection"]?.stringValue)
                    return !keys.contains(entryKey)
                })
        }
        return (.object(object), destructive)
    }
}

/// When promotions may be applied to an environment: days of the week and hours in a time zone (like Argo CD's
/// sync windows). Outside every window, an approved promotion waits.
public struct PromotionWindow: Sendable, Equatable {
    /// ISO weekdays: 1 Monday … 7 Sunday.
    public var days: Set<Int>
    /// Minutes after midnight, local time; `end` may be before `start` for a window across midnight.
    public var start: Int
    public var end: Int
    public var timeZone: TimeZone

    public init(days: Set<Int>, start: Int, end: Int, timeZone: TimeZone) {
        self.days = days
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    func calendar() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Whether `date` falls inside the window. A window across midnight belongs to the day it starts on.
    public func contains(_ date: Date) -> Bool {
        let calendar = calendar()
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1  // Calendar: 1 = Sunday → ISO: 7 = Sunday
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if start <= end {
            return days.contains(weekday) && minute >= start && minute < end
        }
        let yesterday = (weekday + 5) % 7 + 1
        return (days.contains(weekday) && minute >= start) || (days.contains(yesterday) && minute < end)
    }

    /// The next moment the window opens after `date` (within two weeks), for messages.
    public func nextOpening(after date: Date) -> Date? {
        let calendar = calendar()
        var probe = calendar.date(bySetting: .second, value: 0, of: date) ?? date
        for _ in 0..<(14 * 24 * 4) {
            probe = probe.addingTimeInterval(15 * 60)
            if contains(probe) {
                // Step back to the exact opening minute.
                var exact = probe
                while contains(exact.addingTimeInterval(-60)) { exact = exact.addingTimeInterval(-60) }
                return exact
            }
        }
        return nil
    }

    public static func isOpen(_ windows: [PromotionWindow], at date: Date) -> Bool {
        windows.isEmpty || windows.contains { $0.contains(date) }
    }

    public static func nextOpening(_ windows: [PromotionWindow], after date: Date) -> Date? {
        windows.compactMap { $0.nextOpening(after: date) }.min()
    }
}
