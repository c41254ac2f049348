/// The checks a Directus server runs on `POST /schema/diff` and `POST /schema/apply`, with its exact messages.
///
/// Sources: `validate-snapshot.ts` and `validate-diff.ts` (11.17.4), summarised in SPEC §4. Each failure is
/// Directus's `InvalidPayloadError`: HTTP 400, code `INVALID_PAYLOAD`, message `Invalid payload. <reason>.`
public enum DirectusValidation {
    /// The database vendors Directus knows, in its own order (`DatabaseClients`).
    public static let vendors = ["mysql", "postgres", "cockroachdb", "sqlite", "oracle", "mssql", "redshift"]

    /// Field types accepted in uploads: `TYPES` then the alias types not already listed.
    public static let fieldTypes = [
        "bigInteger", "boolean", "date", "dateTime", "decimal", "float", "integer", "json", "string", "text", "time",
        "timestamp", "binary", "uuid", "alias", "hash", "csv", "geometry", "geometry.Point", "geometry.LineString",
        "geometry.Polygon", "geometry.MultiPoint", "geometry.MultiLineString", "geometry.MultiPolygon", "unknown",
        "o2m", "m2m", "m2a", "o2a", "files", "translations",
    ]

    /// A rejected payload: Directus's reason text (without the `Invalid payload. ` prefix and final period).
    public struct InvalidPayload: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        /// The message Directus puts in its error envelope.
        public var message: String { "Invalid payload. \(reason)." }
        public var description: String { message }
    }

    /// What the receiving server is.
    public struct Server: Sendable, Equatable {
        /// The exact version string the server reports (compared as a string with uploads).
        public var version: String
        public var vendor: String
        /// The release whose schema code runs, when it is not the reported one (the conformance cases ask what an
        /// older phase answers under the same version label).
        public var behaviour: DirectusVersion?

        public init(version: String, vendor: String, behaviour: DirectusVersion? = nil) {
            self.version = version
            self.vendor = vendor
            self.behaviour = behaviour
        }

        /// The release whose rules apply.
        public var parsedVersion: DirectusVersion {
            behaviour ?? DirectusVersion(version) ?? DirectusVersion(11, 17, 4)
        }
    }

    // MARK: Diff

    static func snapshotSchema(for server: Server) -> JoiSchema {
        let version = server.parsedVersion
        var keys: [JoiKey] = [
            JoiKey("version", .number(valid: version.supportsPartialSnapshots ? [1, 2] : [1]), required: true),
            JoiKey("directus", .string(), required: true),
            JoiKey("vendor", .string(valid: vendors)),
            JoiKey(
                "collections",
                .array(
                    items: .object(keys: [
                        JoiKey("collection", .string()), JoiKey("meta", .any),
                        JoiKey("schema", .object(keys: [JoiKey("name", .string())])),
                    ]))),
            JoiKey(
                "fields",
                .array(
                    items: .object(keys: [
                        JoiKey("collection", .string()), JoiKey("field", .string()), JoiKey("meta", .any),
                        JoiKey(
                            "schema",
                            .object(
                                keys: [
                                    JoiKey("default_value", .any),
                                    JoiKey("max_length", .alternatives([.number(), .string(allowNull: true)])),
                                    JoiKey("is_nullable", .boolean),
                                ], unknown: true, allowNull: true)),
                        JoiKey("type", .string(valid: fieldTypes, allowNull: true)),
                    ]))),
        ]
        if version.hasSystemFields {
            keys.append(
                JoiKey(
                    "systemFields",
                    .array(
                        items: .object(keys: [
                            JoiKey("collection", .string()), JoiKey("field", .string()),
                            JoiKey("schema", .object(keys: [JoiKey("is_indexed", .boolean)])),
                        ]))))
        }
        keys.append(
            JoiKey(
                "relations",
                .array(
                    items: .object(keys: [
                        JoiKey("collection", .string()), JoiKey("field", .string()), JoiKey("meta", .any),
                        JoiKey("related_collection", .any), JoiKey("schema", .any),
                    ]))))
        return .object(keys: keys)
    }

    /// `validateSnapshot`: the Joi shape check, then (unless `force`) the version and vendor checks.
    public static func validateSnapshot(_ upload: JSONValue, server: Server, force: Bool) throws(InvalidPayload) {
        if let error = JoiValidator.firstError(upload, snapshotSchema(for: server)) {
            throw InvalidPayload(error)
        }
        if force { return }
        let directus = upload["directus"]?.stringValue ?? ""
        if directus != server.version {
            throw InvalidPayload(
                "Provided snapshot's directus version \(directus) does not match the current instance's version "
                    + "\(server.version). You can bypass this check by passing the \"force\" query parameter")
        }
        guard let vendor = upload["vendor"]?.stringValue, !vendor.isEmpty else {
            throw InvalidPayload(
                "Provided snapshot does not contain the \"vendor\" property. You can bypass this check by passing "
                    + "the \"force\" query parameter")
        }
        if vendor != server.vendor {
            throw InvalidPayload(
                "Provided snapshot's vendor \(vendor) does not match the current instance's vendor \(server.vendor). "
                    + "You can bypass this check by passing the \"force\" query parameter")
        }
    }

    // MARK: Apply

    /// What `POST /schema/apply` will do with a body that passed the checks.
    public enum ApplyDecision: Sendable, Equatable {
        /// All four lists are empty: 204 with nothing done.
        case nothing
        /// Apply the diff.
        case apply(SnapshotDiff)
    }

    static func applySchema(for server: Server) -> JoiSchema {
        func entries(_ identity: [JoiKey]) -> JoiSchema {
            .array(items: .object(keys: identity + [JoiKey("diff", .array(items: .deepDiffRecord), required: true)]))
        }
        let collection = JoiKey("collection", .string(), required: true)
        let field = JoiKey("field", .string(), required: true)
        var lists: [JoiKey] = [
            JoiKey("collections", entries([collection]), required: true),
            JoiKey("fields", entries([collection, field]), required: true),
        ]
        if server.parsedVersion.hasSystemFields {
            lists.append(JoiKey("systemFields", entries([collection, field]), required: true))
        }
        lists.append(
            JoiKey(
                "relations", entries([collection, field, JoiKey("related_collection", .string(allowNull: true))]),
                required: true))
        return .object(keys: [
            JoiKey("hash", .string(), required: true),
            JoiKey("diff", .object(keys: lists), required: true),
        ])
    }

    /// `validateApplyDiff`: the Joi shape check; an empty diff does nothing; a matching hash (or `force`) applies;
    /// otherwise the first conflict is reported, and failing that, the stale-hash message. A conflict is an entry
    /// whose first record creates an entity that exists or deletes one that does not: any first `N`/`D` up to 12.3,
    /// a root-level one only from 12.4 (#27880).
    public static func validateApply(
        _ body: JSONValue, current: Snapshot, currentHash: String, server: Server, force: Bool
    ) throws(InvalidPayload) -> ApplyDecision {
        if let error = JoiValidator.firstError(body, applySchema(for: server)) {
            throw InvalidPayload(error)
        }
        let diff: SnapshotDiff
        do {
            diff = try SnapshotDiff(json: body["diff"] ?? .null)
        } catch {
            throw InvalidPayload(error.message)
        }
        if diff.isEmpty { return .nothing }
        if body["hash"]?.stringValue == currentHash || force { return .apply(diff) }

        let atRootOnly = server.parsedVersion.judgesEntitiesAtRoot
        func action(_ entry: SnapshotDiff.Entry) -> DiffRecord.Kind? {
            guard let first = entry.diff.first, first.kind == .new || first.kind == .deleted else { return nil }
            return atRootOnly && !first.isRoot ? nil : first.kind
        }
        func exists(_ list: [JSONValue], _ entry: SnapshotDiff.Entry, byField: Bool) -> Bool {
            list.contains {
                jsStrictEquals($0["collection"], entry.collection)
                    && (!byField || jsStrictEquals($0["field"], entry.field))
            }
        }
        let conflict = { (action: String, what: String) in
            InvalidPayload("Provided diff is trying to \(action) \(what). Please generate a new diff and try again")
        }
        for entry in diff.collections {
            let name = "collection \"\(entry.collectionName)\""
            switch action(entry) {
            case .new? where exists(current.collections, entry, byField: false):
                throw conflict("create", "\(name) but it already exists")
            case .deleted? where !exists(current.collections, entry, byField: false):
                throw conflict("delete", "\(name) but it does not exist")
            default: break
            }
        }
        for entry in diff.fields {
            let name = "field \"\(entry.collectionName).\(entry.fieldName)\""
            switch action(entry) {
            case .new? where exists(current.fields, entry, byField: true):
                throw conflict("create", "\(name) but it already exists")
            case .deleted? where !exists(current.fields, entry, byField: true):
                throw conflict("delete", "\(name) but it does not exist")
            default: break
            }
        }
        for entry in diff.systemFields {
            guard let first = entry.diff.first else { continue }
            let name = "\"\(entry.collectionName).\(entry.fieldName)\""
            if first.kind != .edited {
                let action = first.kind == .new ? "create" : first.kind == .deleted ? "delete" : "update array"
                throw InvalidPayload(
                    "Provided diff is trying to \(action) field \(name) but this action is not supported. Please "
                        + "generate a new diff and try again")
            }
            let path = first.path.map(\.description).joined(separator: ".")
            if path != "schema.is_indexed" {
                throw InvalidPayload(
                    "Provided diff is trying to alter property \"\(path)\" on \(name) but currently only "
                        + "\"schema.is_indexed\" is supported. Please generate a new diff and try again")
            }
        }
        for entry in diff.relations {
            var name = "relation \"\(entry.collectionName).\(entry.fieldName)"
            if let related = entry.relatedCollection, related.isTruthy {
                name += "-> \(related.stringValue ?? related.jsonString)"
            }
            name += "\""
            switch action(entry) {
            case .new? where exists(current.relations, entry, byField: true):
                throw conflict("create", "\(name) but it already exists")
            case .deleted? where !exists(current.relations, entry, byField: true):
                throw conflict("delete", "\(name) but it does not exist")
            default: break
            }
        }
        var stale =
            "Provided hash does not match the current instance's schema hash, indicating the schema has changed "
            + "after this diff was generated. Please generate a new diff and try again"
        if server.parsedVersion.supportsApplyForce {
            stale += " or use the \"force\" query parameter to bypass this check"
        }
        throw InvalidPayload(stale)
    }
}
