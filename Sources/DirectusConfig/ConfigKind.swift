/// The Directus system collections that are configuration (CONFIG-SPEC section 1), in the order parents come
/// before children (section 6: creates and updates go in this order, deletions in the reverse).
public enum ConfigKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case folder
    case role
    case policy
    case access
    case permission
    case translation
    case flow
    case operation
    case dashboard
    case panel
    case preset
    case settings

    /// The system collection (`directus_roles`).
    public var collection: String {
        switch self {
        case .access: "directus_access"
        case .settings: "directus_settings"
        case .policy: "directus_policies"
        default: "directus_\(rawValue)s"
        }
    }

    /// The file name the template CLI and directus-sync give the collection (`roles.json`).
    public var fileStem: String { String(collection.dropFirst("directus_".count)) }

    /// The kind of a system collection, or of a file stem (`roles`, `directus_roles`).
    public init?(collection name: String) {
        let stem = name.hasPrefix("directus_") ? String(name.dropFirst("directus_".count)) : name
        guard let kind = Self.allCases.first(where: { $0.fileStem == stem }) else { return nil }
        self = kind
    }

    /// Whether the primary key is an integer the target assigns (CONFIG-SPEC section 2: never send the source's).
    public var hasIntegerKey: Bool { self == .permission || self == .preset || self == .settings }

    public static func < (lhs: ConfigKind, rhs: ConfigKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
