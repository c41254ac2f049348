import DirectusSchema

/// A schema with reference data, for the content tests: `countries` (integer key, natural key `code`, an audit
/// field), `cities` (referring to countries and to the user who created them) and `categories` (UUID key, a tree
/// by `parent`).
public enum ReferenceData {
    public static var snapshot: Snapshot {
        var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
        snapshot.collections = [
            SnapshotBuilder.collection("categories", icon: "category"),
            SnapshotBuilder.collection("cities", icon: "location_city"),
            SnapshotBuilder.collection("countries", icon: "flag"),
        ]
        snapshot.fields = [
            SnapshotBuilder.uuidPrimaryKey("categories"),
            SnapshotBuilder.field(
                "categories", "slug", type: "string", dataType: "character varying", length: 64, nullable: false,
                unique: true),
            SnapshotBuilder.field(
                "categories", "name", type: "string", dataType: "character varying", length: 255, nullable: true),
            SnapshotBuilder.field(
                "categories", "parent", type: "uuid", dataType: "uuid", length: nil, nullable: true,
                special: ["m2o"], references: "categories"),
            SnapshotBuilder.primaryKey("cities"),
            SnapshotBuilder.field(
                "cities", "name", type: "string", dataType: "character varying", length: 255, nullable: false,
                unique: true),
            SnapshotBuilder.field(
                "cities", "country", type: "integer", dataType: "integer", length: nil, nullable: true,
                special: ["m2o"], references: "countries"),
            SnapshotBuilder.field(
                "cities", "user_created", type: "uuid", dataType: "uuid", length: nil, nullable: true,
                special: ["user-created"], references: "directus_users"),
            SnapshotBuilder.primaryKey("countries"),
            SnapshotBuilder.field(
                "countries", "code", type: "string", dataType: "character varying", length: 8, nullable: false,
                unique: true),
            SnapshotBuilder.field(
                "countries", "name", type: "string", dataType: "character varying", length: 255, nullable: false),
            SnapshotBuilder.field(
                "countries", "date_updated", type: "timestamp", dataType: "timestamp with time zone", length: nil,
                nullable: true, special: ["date-updated"]),
        ]
        snapshot.relations = [
            SnapshotBuilder.manyToOne("categories", "parent", to: "categories"),
            SnapshotBuilder.manyToOne("cities", "country", to: "countries"),
            SnapshotBuilder.manyToOne("cities", "user_created", to: "directus_users"),
        ]
        return snapshot
    }

    /// The schema without countries and cities: a target before the release that brings them.
    public static var withoutCountriesAndCities: Snapshot {
        var snapshot = Self.snapshot
        let new: Set<String> = ["countries", "cities"]
        snapshot.collections = snapshot.collections.filter { !new.contains($0["collection"]?.stringValue ?? "") }
        snapshot.fields = snapshot.fields.filter { !new.contains($0["collection"]?.stringValue ?? "") }
        snapshot.relations = snapshot.relations.filter { !new.contains($0["collection"]?.stringValue ?? "") }
        return snapshot
    }

    /// `count` countries with codes `AA`, `AB`… and ids from `firstID`.
    public static func countries(_ count: Int, firstID: Int = 1) -> [JSONObject] {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return (0..<count).map { index in
            let code = String([letters[(index / 26) % 26], letters[index % 26]])
            let row: JSONValue = [
                "id": .number(JSONNumber(firstID + index)), "code": .string(code),
                "name": .string("Country \(code)"), "date_updated": .string("2026-11-0\(index % 9 + 1)T10:00:00.000Z"),
            ]
            return row.objectValue!
        }
    }
}
