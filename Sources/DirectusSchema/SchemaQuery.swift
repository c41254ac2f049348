import Foundation

/// How each Directus version reads the query of `/schema/diff` and `/schema/apply` (`force`, `mode`), and how a
/// client writes it so that every version understands what it means (SPEC-12 sections 3, 5 and 8).
public enum SchemaQuery {
    /// An unknown `mode` (12.2+): 400 `INVALID_PAYLOAD` from the controller's zod check.
    public struct InvalidMode: Error, Sendable, Equatable, CustomStringConvertible {
        public var value: String
        /// zod-validation-error's wording (not pinned by a conformance case: only status and code are).
        public var reason: String {
            "Validation error: Invalid enum value. Expected 'mirror' | 'merge', received '\(value)' at \"mode\""
        }
        public var description: String { reason }
    }

    /// 12.2's `queryFlag`: true for `""` (a bare `?force`), `"true"` and `"1"`; false for anything else.
    public static func queryFlag(_ value: String?) -> Bool {
        guard let value else { return false }
        return value.isEmpty || value == "true" || value == "1"
    }

    /// Whether `POST /schema/diff` is forced by its `force` parameter (`nil`: absent). Up to 12.1 the key's mere
    /// presence forces (`?force=false` too); from 12.2 its value decides.
    public static func diffForce(_ value: String?, version: DirectusVersion) -> Bool {
        version.honoursForceValue ? queryFlag(value) : value != nil
    }

    /// Whether `POST /schema/apply` is forced: never before 11.17.4; `true` or `1` (`toBoolean`) up to 12.1, so a
    /// bare `?force` does not force; from 12.2 `queryFlag`.
    public static func applyForce(_ value: String?, version: DirectusVersion) -> Bool {
        guard version.supportsApplyForce else { return false }
        if version.honoursForceValue { return queryFlag(value) }
        return value == "true" || value == "1"
    }

    /// The diff mode `POST /schema/diff` runs: always `mirror` before 12.2 (the parameter is ignored); from 12.2
    /// `mirror` (also when absent) or `merge`, anything else refused.
    public static func diffMode(_ value: String?, version: DirectusVersion) throws(InvalidMode) -> DiffMode {
        guard version.supportsDiffMode, let value else { return .mirror }
        guard let mode = DiffMode(rawValue: value) else { throw InvalidMode(value: value) }
        return mode
    }

    /// The query a client sends to `POST /schema/diff`: `force=true` only when forcing (never `force=false`, which
    /// forces up to 12.1), and `mode=merge` only where the version reads it. Returns the query and the mode the
    /// server will use.
    public static func diffQuery(
        force: Bool, mode: DiffMode, version: DirectusVersion?
    ) -> (query: String, mode: DiffMode) {
        var items: [String] = []
        if force { items.append("force=true") }
        var used = DiffMode.mirror
        if mode == .merge, let version, version.supportsDiffMode {
            items.append("mode=merge")
            used = .merge
        }
        return (items.joined(separator: "&"), used)
    }

    /// The query of `GET /schema/snapshot` for `scope`, percent-encoded: empty for the whole schema and for
    /// instances that read no scope (before 12.2, which report everything).
    public static func snapshotQuery(scope: SnapshotScope, version: DirectusVersion) -> String {
        guard version.supportsPartialSnapshots else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return scope.queryItems.map { item in
            "\(item.name)="
                + item.value.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0)
                }.joined(separator: ",")
        }.joined(separator: "&")
    }

    /// The query a client sends to `POST /schema/apply`: `force=true` (a bare `?force` does nothing up to 12.1), or
    /// nothing.
    public static func applyQuery(force: Bool) -> String {
        force ? "force=true" : ""
    }
}
