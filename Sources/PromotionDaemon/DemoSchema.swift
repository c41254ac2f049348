import DirectusSchema

/// The demo's schema: a small blog (articles and authors) as Directus 11.17.4 on PostgreSQL exports it, written
/// for this project. Embedded so that `demo` needs nothing beside the binary.
public enum DemoSchema {
    public static let version = "11.17.4"

    public static var initial: Snapshot {
        var snapshot = Snapshot(directus: version, vendor: "postgres")
        snapshot.collections = [collection("authors", icon: "person"), collection("articles", icon: "article")]
        snapshot.fields = [
            primaryKey("authors"),
            field("authors", "name", type: "string", dataType: "character varying", length: 255, nullable: false),
            primaryKey("articles"),
            field("articles", "title", type: "string", dataType: "character varying", length: 255, nullable: false),
            field("articles", "body", type: "text", dataType: "text", length: nil, nullable: true),
            field("articles", "author", type: "integer", dataType: "integer", length: nil, nullable: true),
        ]
        snapshot.relations = [SnapshotBuilder.manyToOne("articles", "author", to: "authors")]
        return snapshot
    }

    /// The change the demo makes on development: a `summary` field on articles.
    public static var withSummary: Snapshot {
        var snapshot = initial
        snapshot.fields.append(
            field("articles", "summary", type: "text", dataType: "text", length: nil, nullable: true))
        return snapshot
    }

    public static func collection(_ name: String, icon: String) -> JSONValue {
        SnapshotBuilder.collection(name, icon: icon)
    }

    public static func primaryKey(_ collection: String) -> JSONValue { SnapshotBuilder.primaryKey(collection) }

    public static func field(
        _ collection: String, _ name: String, type: String, dataType: String, length: Int?, nullable: Bool
    ) -> JSONValue {
        SnapshotBuilder.field(collection, name, type: type, dataType: dataType, length: length, nullable: nullable)
    }
}
