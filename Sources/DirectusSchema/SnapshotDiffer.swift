import Dispatch
import Foundation
import Synchronization

/// Directus 11.13–11.17's `getSnapshotDiff(current, after)`, reproduced exactly.
///
/// - Entities match by identity only (`collection`; `collection` + `field`), first match wins, compared with
///   JavaScript's `===`. A rename is a delete plus a create.
/// - Both sides are sanitised (`Sanitizer`) and compared with deep-diff (`DeepDiff`).
/// - An auto-increment primary key is compared without any `schema.*` key.
/// - A change of field type to or from `alias` is a root `D` (in current order) and a root `N` (in after order).
/// - systemFields: a current entry missing from `after` is compared with an inverted copy (`is_indexed`
///   true → false); an `after` entry absent from current counts only when indexed.
/// - Fields and relations of a collection whose first record is `D` are left out.
///
/// Directus 12.2 adds (SPEC-12 section 3):
/// - a partial upload (`version` the number 2) limits the diff to the collections the upload names, before the
///   step above;
/// - `mode: merge` leaves out every entry whose first record is a root `D` (a whole entity deleted), also before
///   that step: the fields and relations of a collection the upload lacks stay in a merge diff.
public enum SnapshotDiffer {
    /// The diff turning `current` (the receiving instance) into `after` (the uploaded snapshot).
    /// - Parameters:
    ///   - mode: `mirror` (11.x, the default) or 12.2's `merge`.
    ///   - parallel: large field lists are diffed on all cores (the result is the same); false keeps everything on
    ///     the calling thread.
    public static func diff(
        current: Snapshot, after: Snapshot, mode: DiffMode = .mirror, parallel: Bool = true
    ) -> SnapshotDiff {
        var result = SnapshotDiff()
        result.collections = diffCollections(current.collections, after.collections)
        result.fields = diffFields(current.fields, after.fields, parallel: parallel)
        result.systemFields = diffSystemFields(current.systemFields, after.systemFields)
        result.relations = diffRelations(current.relations, after.relations)

        if PartialSnapshot.isPartial(after) {
            limitToPartial(&result, after: after)
        }
        if mode == .merge {
            let deletesEntity = { (entry: SnapshotDiff.Entry) in
                entry.diff.first.map { $0.kind == .deleted && $0.isRoot } ?? false
            }
            result.collections.removeAll(where: deletesEntity)
            result.fields.removeAll(where: deletesEntity)
            result.systemFields.removeAll(where: deletesEntity)
            result.relations.removeAll(where: deletesEntity)
        }
        let deleted = result.collections.filter { $0.firstKind == .deleted }.map(\.collection)
        if !deleted.isEmpty {
            let isDeleted = { (entry: SnapshotDiff.Entry) in deleted.contains { jsStrictEquals($0, entry.collection) } }
            result.fields.removeAll(where: isDeleted)
            result.relations.removeAll(where: isDeleted)
        }
        return result
    }

    /// `get-snapshot-diff.ts` for a partial upload: collections, fields and relations only of the collections its
    /// collections, fields or relations name; systemFields only of those its systemFields name.
    private static func limitToPartial(_ result: inout SnapshotDiff, after: Snapshot) {
        let named = Set(
            (after.collections + after.fields + after.relations).compactMap { IdentityIndex.Atom($0["collection"]) })
        let namedSystem = Set(after.systemFields.compactMap { IdentityIndex.Atom($0["collection"]) })
        func keep(_ names: Set<IdentityIndex.Atom>) -> (SnapshotDiff.Entry) -> Bool {
            { entry in IdentityIndex.Atom(entry.collection).map(names.contains) ?? false }
        }
        result.collections = result.collections.filter(keep(named))
        result.fields = result.fields.filter(keep(named))
        result.relations = result.relations.filter(keep(named))
        result.systemFields = result.systemFields.filter(keep(namedSystem))
    }

    // MARK: Collections

    private static func diffCollections(_ current: [JSONValue], _ after: [JSONValue]) -> [SnapshotDiff.Entry] {
        let afterIndex = IdentityIndex(after, keys: ["collection"])
        let currentIndex = IdentityIndex(current, keys: ["collection"])
        var entries: [SnapshotDiff.Entry] = []
        for item in current {
            let match = afterIndex.first(matching: item).map { after[$0] }
            // Fast path: an entity unchanged as a whole has no diff whatever is picked from it.
            if let match, match == item { continue }
            let records = DeepDiff.diff(Sanitizer.collection(item), match.map(Sanitizer.collection))
            if !records.isEmpty { entries.append(.init(collection: item["collection"], diff: records)) }
        }
        for item in after where currentIndex.first(matching: item) == nil {
            entries.append(.init(collection: item["collection"], diff: DeepDiff.diff(nil, Sanitizer.collection(item))))
        }
        return entries
    }

    // MARK: Fields

    private static func isAliasChange(_ current: JSONValue, _ after: JSONValue) -> Bool {
        let currentType = current["type"]
        let afterType = after["type"]
        return !jsStrictEquals(currentType, afterType)
            && (jsStrictEquals(currentType, "alias") || jsStrictEquals(afterType, "alias"))
    }

    private static func diffFields(
        _ current: [JSONValue], _ after: [JSONValue], parallel: Bool
    ) -> [SnapshotDiff.Entry] {
        let (afterIndex, currentIndex) = Parallel.pair(
            { IdentityIndex(after, keys: ["collection", "field"]) },
            { IdentityIndex(current, keys: ["collection", "field"]) },
            when: parallel && current.count + after.count > 4000)
        let changed = Parallel.chunks(of: current, when: parallel && current.count > 2000) { items in
            changedFields(items, after: after, afterIndex: afterIndex)
        }
        let created = Parallel.chunks(of: after, when: parallel && after.count > 2000) { items in
            createdFields(items, current: current, currentIndex: currentIndex)
        }
        return changed + created
    }

    /// The entries of fields of `current` that differ in `after` or are gone from it.
    private static func changedFields(
        _ items: ArraySlice<JSONValue>, after: [JSONValue], afterIndex: IdentityIndex
    ) -> [SnapshotDiff.Entry] {
        var entries: [SnapshotDiff.Entry] = []
        for item in items {
            let match = afterIndex.first(matching: item).map { after[$0] }
            if let match, match == item { continue }
            let schema = item["schema"]?.objectValue
            let autoIncrementKey =
                (schema?["is_primary_key"]?.isTruthy ?? false) && (schema?["has_auto_increment"]?.isTruthy ?? false)
            let lhs = Sanitizer.field(item, withoutSchema: autoIncrementKey)
            let records: [DiffRecord]
            if let match, isAliasChange(item, match) {
                records = DeepDiff.diff(lhs, nil)
            } else {
                records = DeepDiff.diff(lhs, match.map { Sanitizer.field($0, withoutSchema: autoIncrementKey) })
            }
            if !records.isEmpty {
                entries.append(.init(collection: item["collection"], field: item["field"], diff: records))
            }
        }
        return entries
    }

    /// The entries of fields of `after` that `current` does not have (or has as another kind: alias or not).
    private static func createdFields(
        _ items: ArraySlice<JSONValue>, current: [JSONValue], currentIndex: IdentityIndex
    ) -> [SnapshotDiff.Entry] {
        var entries: [SnapshotDiff.Entry] = []
        for item in items {
            if let position = currentIndex.first(matching: item), !isAliasChange(current[position], item) {
                continue
            }
            entries.append(
                .init(
                    collection: item["collection"], field: item["field"],
                    diff: DeepDiff.diff(nil, Sanitizer.field(item))))
        }
        return entries
    }

    // MARK: System fields

    /// `invertIndexed`: a copy whose `schema.is_indexed` is negated (JavaScript `!`), not sanitised.
    static func invertIndexed(_ value: JSONValue) -> JSONValue {
        var object = value.objectValue ?? JSONObject()
        var schema = object["schema"]?.objectValue ?? JSONObject()
        if let indexed = schema["is_indexed"] {
            schema["is_indexed"] = .bool(!indexed.isTruthy)
        }
        object["schema"] = .object(schema)
        return .object(object)
    }

    private static func diffSystemFields(_ current: [JSONValue], _ after: [JSONValue]) -> [SnapshotDiff.Entry] {
        let afterIndex = IdentityIndex(after, keys: ["collection", "field"])
        let currentIndex = IdentityIndex(current, keys: ["collection", "field"])
        var entries: [SnapshotDiff.Entry] = []
        for item in current {
            let rhs = afterIndex.first(matching: item).map { Sanitizer.systemField(after[$0]) } ?? invertIndexed(item)
            let records = DeepDiff.diff(Sanitizer.systemField(item), rhs)
            if !records.isEmpty {
                entries.append(.init(collection: item["collection"], field: item["field"], diff: records))
            }
        }
        for item in after {
            guard item["schema"]?["is_indexed"]?.isTruthy == true, currentIndex.first(matching: item) == nil else {
                continue
            }
            let records = DeepDiff.diff(invertIndexed(item), Sanitizer.systemField(item))
            if !records.isEmpty {
                entries.append(.init(collection: item["collection"], field: item["field"], diff: records))
            }
        }
        return entries
    }

    // MARK: Relations

    private static func diffRelations(_ current: [JSONValue], _ after: [JSONValue]) -> [SnapshotDiff.Entry] {
        let afterIndex = IdentityIndex(after, keys: ["collection", "field"])
        let currentIndex = IdentityIndex(current, keys: ["collection", "field"])
        var entries: [SnapshotDiff.Entry] = []
        for item in current {
            let match = afterIndex.first(matching: item).map { after[$0] }
            if let match, match == item { continue }
            let records = DeepDiff.diff(Sanitizer.relation(item), match.map(Sanitizer.relation))
            if !records.isEmpty {
                entries.append(
                    .init(
                        collection: item["collection"], field: item["field"],
                        relatedCollection: item["related_collection"], diff: records))
            }
        }
        for item in after where currentIndex.first(matching: item) == nil {
            entries.append(
                .init(
                    collection: item["collection"], field: item["field"],
                    relatedCollection: item["related_collection"], diff: DeepDiff.diff(nil, Sanitizer.relation(item))))
        }
        return entries
    }
}

/// How `POST /schema/diff` treats what the upload lacks (12.2+ `?mode=`).
public enum DiffMode: String, Sendable, Hashable, CaseIterable {
    /// Make the target equal to the upload: whatever it lacks is deleted (11.x, and the 12.x default).
    case mirror
    /// Add and change, never delete a whole collection, field, system field or relation; property removals stay.
    case merge
}

/// The first position of each identity in a list, matched as Directus's `find` with `===` matches.
struct IdentityIndex: Sendable {
    /// A primitive identity value; objects and arrays never match anything under `===`.
    enum Atom: Hashable, Sendable {
        case absent
        case null
        case bool(Bool)
        case number(Double)
        case string(String)

        init?(_ value: JSONValue?) {
            switch value {
            case nil: self = .absent
            case .null?: self = .null
            case .bool(let bool)?: self = .bool(bool)
            case .number(let number)?: self = .number(number.doubleValue)
            case .string(let string)?: self = .string(string)
            case .array?, .object?: return nil
            }
        }
    }

    /// An identity of one or two keys (a second key absent from an index of one key is `.absent` throughout).
    struct Identity: Hashable {
        var first: Atom
        var second: Atom
    }

    private let first: String
    private let second: String?
    private var positions: [Identity: Int] = [:]

    init(_ items: [JSONValue], keys: [String]) {
        precondition(keys.count == 1 || keys.count == 2, "identities have one or two keys")
        first = keys[0]
        second = keys.count == 2 ? keys[1] : nil
        positions.reserveCapacity(items.count)
        // From the last to the first, so that the first position of an identity is the one left: one hash
        // operation per item.
        for position in items.indices.reversed() {
            guard let identity = identity(of: items[position]) else { continue }
            positions[identity] = position
        }
    }

    private func identity(of item: JSONValue) -> Identity? {
        guard case .object(let object) = item else {
            // A non-object has no keys: every one of them is absent.
            return Identity(first: .absent, second: .absent)
        }
        guard let a = Atom(object[first]) else { return nil }
        guard let second else { return Identity(first: a, second: .absent) }
        guard let b = Atom(object[second]) else { return nil }
        return Identity(first: a, second: b)
    }

    /// The position of the first item whose identity equals `item`'s.
    func first(matching item: JSONValue) -> Int? {
        guard let identity = identity(of: item) else { return nil }
        return positions[identity]
    }
}

/// The diff of a large schema on the machine's cores: independent pieces of work run at once, their results kept in
/// order, so that the output is the one a single thread gives. Small inputs stay on the calling thread.
enum Parallel {
    /// `first()` and `second()`, at once when `when` holds.
    static func pair<A: Sendable, B: Sendable>(
        _ first: @Sendable () -> A, _ second: @Sendable () -> B, when: Bool
    ) -> (A, B) {
        guard when else { return (first(), second()) }
        let results = Mutex<(A?, B?)>((nil, nil))
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            if index == 0 {
                let value = first()
                results.withLock { $0.0 = value }
            } else {
                let value = second()
                results.withLock { $0.1 = value }
            }
        }
        return results.withLock { ($0.0!, $0.1!) }
    }

    /// `work` on consecutive chunks of `items` (one per core), the results joined in order.
    static func chunks<T: Sendable>(
        of items: [JSONValue], when: Bool, _ work: @Sendable (ArraySlice<JSONValue>) -> [T]
    ) -> [T] {
        let count = when ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
        guard count > 1 else { return work(items[...]) }
        let size = (items.count + count - 1) / count
        let results = Mutex<[[T]]>(Array(repeating: [], count: count))
        DispatchQueue.concurrentPerform(iterations: count) { chunk in
            let start = min(items.count, chunk * size)
            let value = work(items[start..<min(items.count, start + size)])
            results.withLock { $0[chunk] = value }
        }
        return results.withLock { $0.flatMap { $0 } }
    }
}
