import Yams

/// Writes a `JSONValue` as block-style YAML, keeping key order, so that reading it back gives the same value.
///
/// Strings that a YAML reader would take for something else (`"123"`, `"true"`, `"null"`, `""`) are quoted.
public enum YAMLWriter {
    public static func string(_ value: JSONValue) throws -> String {
        try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
    }

    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return Node.scalar(.init("null", .implicit, .plain))
        case .bool(let bool): return Node.scalar(.init(bool ? "true" : "false", .implicit, .plain))
        case .number(let number): return Node.scalar(.init(number.javaScriptText, .implicit, .plain))
        case .string(let string):
            let ambiguous = YAMLReader.resolvePlain(string) != .string(string) || string != string.trimmingSpaces
            return Node.scalar(.init(string, .implicit, ambiguous ? .doubleQuoted : .any))
        case .array(let array):
            return Node.sequence(.init(array.map(node), .implicit, .block))
        case .object(let object):
            let pairs = object.map { entry -> (Node, Node) in
                let keyIsAmbiguous = YAMLReader.resolvePlain(entry.key) != .string(entry.key)
                let key = Node.scalar(.init(entry.key, .implicit, keyIsAmbiguous ? .doubleQuoted : .any))
                return (key, node(entry.value))
            }
            return Node.mapping(.init(pairs, .implicit, .block))
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
