/// deep-diff's `applyChange`, used by Directus to turn a current entity plus its records into new values.
extension JSONValue {
    /// This value with `record` applied as deep-diff 1.0.2's `applyChange(target, undefined, record)` does:
    /// missing containers on the way are created (an array when the next step is a number), `E`/`N` set,
    /// `D` deletes, `A` edits the array at the path.
    public func applying(_ record: DiffRecord) -> JSONValue {
        var copy = self
        copy.apply(record)
        return copy
    }

    public mutating func apply(_ record: DiffRecord) {
        let path = record.path
        guard !path.isEmpty else {
            // A root record replaces or removes the whole value; deep-diff never produces one inside an update.
            switch record {
            case .new(_, let rhs), .edited(_, _, let rhs): self = rhs
            case .array(_, let index, let item): Self.applyArrayChange(&self, index: index, item: item)
            case .deleted: break
            }
            return
        }
        Self.apply(record, at: path[...], to: &self)
    }

    private static func apply(_ record: DiffRecord, at path: ArraySlice<PathComponent>, to value: inout JSONValue) {
        let component = path.first!
        let rest = path.dropFirst()
        if rest.isEmpty {
            switch record {
            case .new(_, let rhs), .edited(_, _, let rhs):
                value.setChild(component, rhs)
            case .deleted:
                value.removeChild(component)
            case .array(_, let index, let item):
                var child = value.child(component) ?? .array([])
                applyArrayChange(&child, index: index, item: item)
                value.setChild(component, child)
            }
            return
        }
        var child: JSONValue
        if let existing = value.child(component) {
            child = existing
        } else if case .index = rest.first! {
            child = .array([])
        } else {
            child = .object(JSONObject())
        }
        apply(record, at: rest, to: &child)
        value.setChild(component, child)
    }

    /// deep-diff's `applyArrayChange`.
    private static func applyArrayChange(_ array: inout JSONValue, index: Int, item: DiffRecord) {
        if !item.path.isEmpty {
            var element = array.child(.index(index)) ?? .object(JSONObject())
            apply(item, at: item.path[...], to: &element)
            array.setChild(.index(index), element)
            return
        }
        switch item {
        case .array(_, let innerIndex, let innerItem):
            var element = array.child(.index(index)) ?? .array([])
            applyArrayChange(&element, index: innerIndex, item: innerItem)
            array.setChild(.index(index), element)
        case .deleted:
            if case .array(var elements) = array, elements.indices.contains(index) {
                elements.remove(at: index)
                array = .array(elements)
            }
        case .new(_, let rhs), .edited(_, _, let rhs):
            array.setChild(.index(index), rhs)
        }
    }

    func child(_ component: PathComponent) -> JSONValue? {
        switch (self, component) {
        case (.object(let object), .key(let key)): object[key]
        case (.object(let object), .index(let index)): object[String(index)]
        case (.array(let array), .index(let index)): array.indices.contains(index) ? array[index] : nil
        case (.array(let array), .key(let key)):
            Int(key).flatMap { array.indices.contains($0) ? array[$0] : nil }
        default: nil
        }
    }

    mutating func setChild(_ component: PathComponent, _ newValue: JSONValue) {
        switch (self, component) {
        case (.object(var object), .key(let key)):
            object[key] = newValue
            self = .object(object)
        case (.object(var object), .index(let index)):
            object[String(index)] = newValue
            self = .object(object)
        case (.array(var array), .index(let index)) where index >= 0:
            // Writing past the end pads with nulls; deep-diff writes A+N records from the highest index down.
            while array.count <= index { array.append(.null) }
            array[index] = newValue
            self = .array(array)
        default:
            break
        }
    }

    mutating func removeChild(_ component: PathComponent) {
        switch (self, component) {
        case (.object(var object), .key(let key)):
            object.removeValue(forKey: key)
            self = .object(object)
        case (.object(var object), .index(let index)):
            object.removeValue(forKey: String(index))
            self = .object(object)
        case (.array(var array), .index(let index)) where array.indices.contains(index):
            // `delete array[i]` leaves a hole, which JSON writes as null.
            array[index] = .null
            self = .array(array)
        default:
            break
        }
    }
}
