import DirectusSchema

/// What the schema says about a reference-data collection: its primary key, the fields that hold data, those left
/// out of every comparison, and the references to other collections. Derived from a schema snapshot, so the
/// source's schema of the same revision decides how its rows are read.
public struct ContentSchema: Sendable, Hashable {
    public var collection: String
    public var primaryKey: String
    /// The instance makes the key of a new row (auto-increment integer, or a UUID Directus generates): it is then
    /// instance-specific unless it is the identity.
    public var keyIsGenerated: Bool
    /// Fields with data, in the snapshot's order (alias fields, which hold no data, are not among them).
    public var fields: [String]
    /// Fields never compared nor sent: audit fields (`date-created`, `user-updated`…), secrets (`hash`,
    /// `conceal`, `encrypt`), references to users.
    public var leftOut: Set<String>
    /// Many-to-one references: field → the collection it points at.
    public var references: [String: String]

    /// Specials that make a field instance-specific or secret.
    static let volatileSpecials: Set<String> = [
        "date-created", "date-updated", "user-created", "user-updated", "role-created", "role-updated",
    ]
    static let secretSpecials: Set<String> = ["hash", "conceal", "encrypt"]
    static let aliasSpecials: Set<String> = ["alias", "no-data", "o2m", "m2m", "m2a", "translations", "group", "files"]

    /// The facts of `collection` in `snapshot`.
    public static func of(_ collection: String, in snapshot: Snapshot) throws(ContentError) -> ContentSchema {
        guard
            let entry = snapshot.collections.first(where: { $0["collection"]?.stringValue == collection }),
            entry["schema"].map({ !$0.isNull }) ?? false
        else {
            throw ContentError(
                collection: collection, reason: "the schema has no such collection with a table (a folder, or absent)")
        }
        if collection.hasPrefix("directus_") {
            throw ContentError(
                collection: collection,
                reason: "system collections are not content (configuration promotion carries roles, flows…)")
        }
        var primaryKey: String?
        var generated = false
        var fields: [String] = []
        var leftOut = Set<String>()
        var references: [String: String] = [:]
        for field in snapshot.fields where field["collection"]?.stringValue == collection {
            guard let name = field["field"]?.stringValue else { continue }
            let specials = Self.specials(field["meta"]?["special"])
            let schema = field["schema"]
            if field["type"]?.stringValue == "alias" || schema == nil || schema?.isNull == true
                || !specials.isDisjoint(with: aliasSpecials)
            {
                continue
            }
            fields.append(name)
            if schema?["is_primary_key"]?.boolValue == true {
                primaryKey = name
                generated =
                    schema?["has_auto_increment"]?.boolValue == true
                    || (field["type"]?.stringValue == "uuid" && specials.contains("uuid"))
            }
            if !specials.isDisjoint(with: volatileSpecials) || !specials.isDisjoint(with: secretSpecials) {
                leftOut.insert(name)
            }
        }
        for relation in snapshot.relations where relation["collection"]?.stringValue == collection {
            guard let field = relation["field"]?.stringValue, fields.contains(field),
                let related = relation["related_collection"]?.stringValue
            else { continue }
            if related == "directus_users" {
                leftOut.insert(field)
            } else {
                references[field] = related
            }
        }
        guard let primaryKey else {
            throw ContentError(collection: collection, reason: "the schema gives it no primary key")
        }
        return ContentSchema(
            collection: collection, primaryKey: primaryKey, keyIsGenerated: generated, fields: fields,
            leftOut: leftOut, references: references)
    }

    /// `meta.special` as a set: an array in snapshots, a comma-separated string in some exports.
    static func specials(_ value: JSONValue?) -> Set<String> {
        switch value {
        case .array(let items)?: Set(items.compactMap(\.stringValue))
        case .string(let text)?: Set(text.split(separator: ",").map { String($0).trimmingSpaces })
        default: []
        }
    }

    /// The fields a row of this collection is compared and sent by under `rule`: data fields less those left out
    /// and ignored; the primary key only when the instance does not make it, or when it is the identity.
    public func comparedFields(_ rule: ContentRule) -> [String] {
        let ignored = Set(rule.ignoreFields)
        return fields.filter { field in
            if field == primaryKey { return rule.identity.isEmpty || !keyIsGenerated }
            return !leftOut.contains(field) && !ignored.contains(field)
        }
    }

    /// The identity fields under `rule`: the named fields, or the primary key.
    public func identityFields(_ rule: ContentRule) -> [String] {
        rule.identity.isEmpty ? [primaryKey] : rule.identity
    }

    /// Why `rule` cannot work on this collection, or nil.
    public func problem(with rule: ContentRule) -> String? {
        for field in rule.identity where !fields.contains(field) {
            return "the identity field \(field) is not a field with data of the collection"
        }
        for field in rule.identity where leftOut.contains(field) {
            return "the identity field \(field) is an audit field, a secret or a user reference, never compared"
        }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
