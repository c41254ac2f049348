/// A small model of the Joi checks Directus runs on uploads, producing Joi's own first error message.
///
/// Joi (with Directus's defaults: `abortEarly`, `convert`) checks an object's declared keys in declaration order,
/// then rejects unknown keys; arrays item by item; allowed-value lists before the type; numeric strings convert
/// to numbers and `"true"`/`"false"` to booleans. Labels are paths such as `collections[0].schema.sql`.
indirect enum JoiSchema: Sendable {
    case any
    case string(valid: [String]? = nil, allowNull: Bool = false)
    case number(valid: [Double]? = nil)
    case boolean
    /// `keys` in declaration order; `unknown` allows undeclared keys; `allowNull` accepts null.
    case object(keys: [JoiKey], unknown: Bool = false, allowNull: Bool = false)
    case array(items: JoiSchema)
    /// `Joi.alternatives().try(...)` of base types, e.g. string or number.
    case alternatives([JoiSchema])
    /// A deep-diff record, whose requirements depend on its `kind`.
    case deepDiffRecord

    var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .boolean: "boolean"
        case .object: "object"
        case .array: "array"
        default: "any"
        }
    }
}

struct JoiKey: Sendable {
    var name: String
    var schema: JoiSchema
    var required: Bool

    init(_ name: String, _ schema: JoiSchema, required: Bool = false) {
        self.name = name
        self.schema = schema
        self.required = required
    }
}

enum JoiValidator {
    /// The first error Joi reports for `value`, or `nil` when it is valid.
    static func firstError(
        _ value: JSONValue?, _ schema: JoiSchema, label: String = "value", required: Bool = false
    )
        -> String?
    {
        guard let value else { return required ? "\"\(label)\" is required" : nil }
        switch schema {
        case .any:
            return nil
        case .string(let valid, let allowNull):
            if value.isNull && allowNull { return nil }
            if let valid {
                if case .string(let text) = value, valid.contains(text) { return nil }
                let list = valid + (allowNull ? ["null"] : [])
                return "\"\(label)\" must be \(list.count == 1 ? "" : "one of ")[\(list.joined(separator: ", "))]"
            }
            guard case .string(let text) = value else { return "\"\(label)\" must be a string" }
            return text.isEmpty ? "\"\(label)\" is not allowed to be empty" : nil
        case .number(let valid):
            var number: Double?
            switch value {
            case .number(let n): number = n.doubleValue
            case .string(let text): number = text.isEmpty ? nil : Double(text)
            default: number = nil
            }
            if let valid {
                if let number, valid.contains(number) { return nil }
                let list = valid.map { JSONNumber($0).javaScriptText }
                return "\"\(label)\" must be \(list.count == 1 ? "" : "one of ")[\(list.joined(separator: ", "))]"
            }
            return number == nil ? "\"\(label)\" must be a number" : nil
        case .boolean:
            switch value {
            case .bool: return nil
            case .string(let text) where text.lowercased() == "true" || text.lowercased() == "false": return nil
            default: return "\"\(label)\" must be a boolean"
            }
        case .object(let keys, let unknown, let allowNull):
            if value.isNull && allowNull { return nil }
            guard case .object(let object) = value else { return "\"\(label)\" must be of type object" }
            return objectError(object, keys: keys, unknown: unknown, label: label)
        case .array(let items):
            guard case .array(let array) = value else { return "\"\(label)\" must be an array" }
            for (index, item) in array.enumerated() {
                if let error = firstError(item, items, label: "\(label)[\(index)]") { return error }
            }
            return nil
        case .alternatives(let options):
            if options.contains(where: { firstError(value, $0, label: label) == nil }) { return nil }
            return "\"\(label)\" must be one of [\(options.map(\.typeName).joined(separator: ", "))]"
        case .deepDiffRecord:
            guard case .object(let object) = value else { return "\"\(label)\" must be of type object" }
            let kind = object["kind"]?.stringValue
            let keys = [
                JoiKey("kind", .string(valid: ["N", "D", "E", "A"]), required: true),
                JoiKey("path", .array(items: .alternatives([.string(), .number()]))),
                JoiKey("lhs", .any, required: !(kind == "N" || kind == "A")),
                JoiKey("rhs", .any, required: !(kind == "D" || kind == "A")),
                JoiKey("index", .number(), required: kind == "A"),
                JoiKey("item", .deepDiffRecord, required: kind == "A"),
            ]
            return objectError(object, keys: keys, unknown: false, label: label)
        }
    }

    private static func objectError(_ object: JSONObject, keys: [JoiKey], unknown: Bool, label: String) -> String? {
        let prefix = label == "value" ? "" : "\(label)."
        for key in keys {
            if let error = firstError(object[key.name], key.schema, label: prefix + key.name, required: key.required) {
                return error
            }
        }
        if !unknown {
            let declared = Set(keys.map(\.name))
            if let extra = object.keys.first(where: { !declared.contains($0) }) {
                return "\"\(prefix + extra)\" is not allowed"
            }
        }
        return nil
    }
}
