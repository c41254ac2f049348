/// deep-diff 1.0.2's `diff(lhs, rhs)`, record for record.
///
/// `nil` stands for JavaScript's `undefined` (an absent value). The walk visits the left object's keys in its
/// order, then keys found only on the right; arrays are compared from the end: extra right elements become
/// `A`+`N` in descending index order, extra left elements `A`+`D`, then the shared positions from last to first.
/// A right-only key that is the empty string is skipped, as deep-diff's `if (k)` test skips it.
public enum DeepDiff {
    /// The records turning `lhs` into `rhs`; empty when they are equal (deep-diff returns `undefined` then).
    public static func diff(_ lhs: JSONValue?, _ rhs: JSONValue?) -> [DiffRecord] {
        var changes: [DiffRecord] = []
        var path: [PathComponent] = []
        walk(lhs, rhs, path: &path, into: &changes)
        return changes
    }

    private static func walk(
        _ lhs: JSONValue?, _ rhs: JSONValue?, path: inout [PathComponent], into changes: inout [DiffRecord]
    ) {
        guard let lhs else {
            if let rhs { changes.append(.new(path: path, rhs: rhs)) }
            return
        }
        guard let rhs else {
            changes.append(.deleted(path: path, lhs: lhs))
            return
        }
        switch (lhs, rhs) {
        case (.object(let left), .object(let right)):
            var rightKeys: [String?] = right.keys
            var rightPositions: [String: Int] = [:]
            if rightKeys.count > 8 {
                for (offset, key) in right.keys.enumerated() where rightPositions[key] == nil {
                    rightPositions[key] = offset
                }
            }
            for (key, leftValue) in left {
                let other = rightKeys.count > 8 ? rightPositions[key] : rightKeys.firstIndex(of: key)
                path.append(.key(key))
                if let other, rightKeys[other] != nil {
                    walk(leftValue, right[other].value, path: &path, into: &changes)
                    rightKeys[other] = nil
                } else {
                    walk(leftValue, nil, path: &path, into: &changes)
                }
                path.removeLast()
            }
            for (offset, key) in rightKeys.enumerated() {
                guard let key, !key.isEmpty else { continue }
                path.append(.key(key))
                walk(nil, right[offset].value, path: &path, into: &changes)
                path.removeLast()
            }
        case (.array(let left), .array(let right)):
            var i = right.count - 1
            var j = left.count - 1
            while i > j {
                changes.append(.array(path: path, index: i, item: .new(path: [], rhs: right[i])))
                i -= 1
            }
            while j > i {
                changes.append(.array(path: path, index: j, item: .deleted(path: [], lhs: left[j])))
                j -= 1
            }
            while i >= 0 {
                path.append(.index(i))
                walk(left[i], right[i], path: &path, into: &changes)
                path.removeLast()
                i -= 1
            }
        case (.null, .null):
            return
        default:
            if lhs.javaScriptType != rhs.javaScriptType || !lhs.strictlyEquals(rhs) {
                changes.append(.edited(path: path, lhs: lhs, rhs: rhs))
            }
        }
    }
}

extension JSONValue {
    /// deep-diff's `realTypeOf`: `null`, `array` and `object` are told apart.
    var javaScriptType: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
