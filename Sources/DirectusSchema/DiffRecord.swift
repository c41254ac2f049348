/// One step of a path into a JSON value: an object key or an array position.
public enum PathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var json: JSONValue {
        switch self {
        case .key(let key): .string(key)
        case .index(let index): .number(JSONNumber(index))
        }
    }

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): String(index)
        }
    }
}

/// One deep-diff 1.0.2 record, as Directus sends it in `diff[].diff[]`.
public indirect enum DiffRecord: Sendable, Hashable {
    /// `N`: a value that exists only on the right-hand side.
    case new(path: [PathComponent], rhs: JSONValue)
    /// `D`: a value that exists only on the left-hand side.
    case deleted(path: [PathComponent], lhs: JSONValue)
    /// `E`: a value that differs (including a change of type).
    case edited(path: [PathComponent], lhs: JSONValue, rhs: JSONValue)
    /// `A`: an element added to or removed from the end of an array.
    case array(path: [PathComponent], index: Int, item: DiffRecord)

    /// `N`, `D`, `E` or `A`.
    public var kind: Kind {
        switch self {
        case .new: .new
        case .deleted: .deleted
        case .edited: .edited
        case .array: .array
        }
    }

    /// The record's path; empty for a whole-entity `N` or `D` (the JSON then has no `path` key).
    public var path: [PathComponent] {
        switch self {
        case .new(let path, _), .deleted(let path, _), .edited(let path, _, _), .array(let path, _, _): path
        }
    }

    /// Whether this creates or deletes a whole entity (a root `N` or `D`, without a path).
    public var isRoot: Bool { path.isEmpty }

    /// The record kinds of deep-diff.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case new = "N"
        case deleted = "D"
        case edited = "E"
        case array = "A"
    }
}

// MARK: - JSON

extension DiffRecord {
    /// The record as deep-diff serialises it: `kind`, then `path` when not empty, then `lhs`/`rhs` or
    /// `index`/`item`.
    public var json: JSONValue {
        var object = JSONObject()
        object["kind"] = .string(kind.rawValue)
        if !path.isEmpty { object["path"] = .array(path.map(\.json)) }
        switch self {
        case .new(_, let rhs):
            object["rhs"] = rhs
        case .deleted(_, let lhs):
            object["lhs"] = lhs
        case .edited(_, let lhs, let rhs):
            object["lhs"] = lhs
            object["rhs"] = rhs
        case .array(_, let index, let item):
            object["index"] = .number(JSONNumber(index))
            object["item"] = item.json
        }
        return .object(object)
    }

    /// Why a JSON value is not a deep-diff record.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads a record from its JSON form.
    public init(json: JSONValue) throws(DecodingError) {
        guard case .object(let object) = json else {
            throw DecodingError(message: "a diff record must be an object, found \(json.typeName)")
        }
        guard let kindText = object["kind"]?.stringValue, let kind = Kind(rawValue: kindText) else {
            throw DecodingError(message: "a diff record needs a kind of N, D, E or A")
        }
        var path: [PathComponent] = []
        if let pathValue = object["path"] {
            guard case .array(let components) = pathValue else {
                throw DecodingError(message: "a diff record's path must be an array")
            }
            for component in components {
                switch component {
                case .string(let key): path.append(.key(key))
                case .number(let number):
                    guard let index = number.intValue else {
                        throw DecodingError(message: "a diff path index must be a whole number")
                    }
                    path.append(.index(index))
                default:
                    throw DecodingError(message: "a diff path holds only strings and numbers")
                }
            }
        }
        func required(_ key: String) throws(DecodingError) -> JSONValue {
            guard let value = object[key] else {
                throw DecodingError(message: "a diff record of kind \(kind.rawValue) needs \"\(key)\"")
            }
            return value
        }
        switch kind {
        case .new: self = .new(path: path, rhs: try required("rhs"))
        case .deleted: self = .deleted(path: path, lhs: try required("lhs"))
        case .edited: self = .edited(path: path, lhs: try required("lhs"), rhs: try required("rhs"))
        case .array:
            guard let index = try required("index").numberValue?.intValue else {
                throw DecodingError(message: "an A record's index must be a whole number")
            }
            self = .array(path: path, index: index, item: try DiffRecord(json: try required("item")))
        }
    }
}
