/// An ordered JSON object with JavaScript's property order.
///
/// Keys that are canonical array indexes (`"0"` … `"4294967294"`) sort first in ascending numeric order; all
/// other keys keep insertion order. Setting an existing key replaces its value in place, as assignment does in
/// JavaScript (and as `JSON.parse` does for a repeated key).
public struct JSONObject: Sendable, RandomAccessCollection {
    public typealias Element = (key: String, value: JSONValue)

    private var storage: [Element]
    /// How many leading entries have array-index keys.
    private var indexKeyCount: Int

    public init() {
        storage = []
        indexKeyCount = 0
    }

    /// An object with these entries, in JavaScript's order.
    public init<S: Sequence>(_ entries: S) where S.Element == (String, JSONValue) {
        self.init()
        for (key, value) in entries { self[key] = value }
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }
    public subscript(position: Int) -> Element { storage[position] }

    /// The keys in JavaScript's `Object.keys` order.
    public var keys: [String] { storage.map(\.key) }

    // MARK: Access

    /// The value for `key`, or `nil` when the object has no such key.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = position(of: key) else { return nil }
            return storage[index].value
        }
        set {
            if let newValue {
                set(newValue, for: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    public func contains(key: String) -> Bool { position(of: key) != nil }

    public func position(of key: String) -> Int? {
        storage.firstIndex { $0.key == key }
    }

    /// Sets `value` for `key`: replaced in place when present, otherwise inserted where JavaScript would put it.
    public mutating func set(_ value: JSONValue, for key: String) {
        if let index = position(of: key) {
            storage[index].value = value
            return
        }
        if let numeric = Self.arrayIndexValue(key) {
            var insertAt = 0
            while insertAt < indexKeyCount, Self.arrayIndexValue(storage[insertAt].key)! < numeric {
                insertAt += 1
            }
            storage.insert((key, value), at: insertAt)
            indexKeyCount += 1
        } else {
            storage.append((key, value))
        }
    }

    /// An object from entries whose keys are known to be distinct, put in JavaScript's order without the
    /// duplicate checks of `set`.
    init(distinctEntries entries: [Element]) {
        var indexKeys: [(UInt32, Element)] = []
        var others: [Element] = []
        others.reserveCapacity(entries.count)
        for entry in entries {
            if let numeric = Self.arrayIndexValue(entry.key) {
                indexKeys.append((numeric, entry))
            } else {
                others.append(entry)
            }
        }
        indexKeys.sort { $0.0 < $1.0 }
        storage = indexKeys.map(\.1) + others
        indexKeyCount = indexKeys.count
    }

    /// An object from distinct entries none of which has an array-index key: already in JavaScript's order.
    init(ordered entries: [Element]) {
        storage = entries
        indexKeyCount = 0
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = position(of: key) else { return nil }
        if index < indexKeyCount { indexKeyCount -= 1 }
        return storage.remove(at: index).value
    }

    /// The same entries with keys sorted by JavaScript's default string order (UTF-16 code units), applied
    /// recursively to nested objects; array element order is kept.
    public func sortedDeep() -> JSONObject {
        JSONObject(
            distinctEntries: storage.sorted(by: { jsStringLess($0.key, $1.key) }).map {
                ($0.key, $0.value.sortedDeep())
            })
    }

    /// Whether `key` is a canonical array index, which JavaScript orders before every other key.
    static func arrayIndexValue(_ key: String) -> UInt32? {
        let utf8 = key.utf8
        guard let first = utf8.first, utf8.count <= 10, first >= 0x30, first <= 0x39 else { return nil }
        if first == 0x30 && utf8.count > 1 { return nil }
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value <= 4_294_967_294 ? UInt32(value) : nil
    }
}

extension JSONValue {
    /// This value with every nested object's keys sorted (JavaScript order), as Directus's `sortDeep` does.
    public func sortedDeep() -> JSONValue {
        switch self {
        case .object(let object): .object(object.sortedDeep())
        case .array(let array): .array(array.map { $0.sortedDeep() })
        default: self
        }
    }
}

/// JavaScript's default string comparison: lexicographic by UTF-16 code units.
///
/// UTF-8 byte order is code point order, which is UTF-16 order except between U+E000…U+FFFF and the supplementary
/// planes (UTF-16 puts surrogates first); so the bytes decide unless the first difference involves a lead byte of
/// those ranges (0xEE and above), where the UTF-16 comparison is made.
public func jsStringLess(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    let decided: Bool? = a.withUTF8 { left in
        b.withUTF8 { right in
            let common = min(left.count, right.count)
            var index = 0
            while index < common {
                let x = left[index]
                let y = right[index]
                if x != y { return x < 0xEE && y < 0xEE ? x < y : nil }
                index += 1
            }
            return left.count < right.count
        }
    }
    if let decided { return decided }
    return utf16Less(a, b)
}

private func utf16Less(_ a: String, _ b: String) -> Bool {
    var left = a.utf16.makeIterator()
    var right = b.utf16.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case (let x?, let y?):
            if x != y { return x < y }
        }
    }
}

extension JSONObject: Equatable {
    /// Equal when both hold the same keys with equal values, whatever their order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // Objects of one schema usually list their keys in the same order: compare pairwise while they do.
        var index = 0
        while index < lhs.storage.count, lhs.storage[index].key == rhs.storage[index].key {
            guard lhs.storage[index].value == rhs.storage[index].value else { return false }
            index += 1
        }
        // The rest by lookup (keys are unique, so none of them is among the pairs already compared).
        for (key, value) in lhs.storage[index...] {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in storage {
            var entryHasher = Hasher()
            entryHasher.combine(key)
            entryHasher.combine(value)
            combined = combined &+ entryHasher.finalize()
        }
        hasher.combine(storage.count)
        hasher.combine(combined)
    }
}
