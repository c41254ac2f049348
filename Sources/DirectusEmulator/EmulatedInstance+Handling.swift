import DirectusConfig
import DirectusSchema
import Foundation

/// Who is calling, as Directus's accountability.
struct Accountability: Sendable, Equatable {
    var email: String?
    var admin: Bool
    var isUser: Bool { email != nil }

    static let publicAccess = Accountability(email: nil, admin: false)
}

extension EmulatedInstance {
    /// Answers one request as Directus would, including any fault injected for it.
    public func handle(_ request: EmulatorRequest) async -> EmulatorResponse {
        requestCounts["\(request.method) \(request.path)", default: 0] += 1
        let key = "\(request.method) \(request.path)"
        recentQueries[key, default: []].append(request.query)
        if recentQueries[key]!.count > 50 { recentQueries[key]!.removeFirst() }
        if request.method == "GET" && request.path == "/server/ping" {
            // Registered before authentication: no token needed, a bad one ignored.
            return EmulatorResponse(
                status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array("pong".utf8))
        }
        var delivery = EmulatorResponse.Delivery.normal
        var delay: Duration?
        var partialApply = false
        if let fault = takeFault(for: request.path, method: request.method) {
            switch fault {
            case .status(let code):
                var response = EmulatorResponse.error(.serviceUnavailable(code))
                if code == 429 { response.headers.append(("Retry-After", "1")) }
                return response
            case .dropConnection: delivery = .drop
            case .truncatedBody: delivery = .truncate
            case .invalidJSON:
                return EmulatorResponse(
                    status: 200, headers: [("Content-Type", "application/json; charset=utf-8")],
                    body: Array(#"{"data": {"hash": "#.utf8))
            case .driftBeforeHandling: makeDrift()
            case .delayResponse(let duration): delay = duration
            case .partialApply: partialApply = true
            case .expireTokens: tokensRevokedThrough = tokenSerial
            }
        }
        var response: EmulatorResponse
        do {
            response = try await route(request, partialApply: partialApply)
        } catch let error as DirectusErrorResponse {
            response = .error(error)
        } catch {
            response = .error(.internalError("\(error)"))
        }
        response.delivery = delivery
        response.delay = delay
        return response
    }

    private func takeFault(for path: String, method: String) -> EmulatorFault? {
        guard
            let index = faults.firstIndex(where: { rule in
                (rule.pathPrefix.map { path.hasPrefix($0) } ?? true) && (rule.method.map { $0 == method } ?? true)
            })
        else {
            return nil
        }
        let fault = faults[index].fault
        if let remaining = faults[index].remaining {
            if remaining <= 1 { faults.remove(at: index) } else { faults[index].remaining = remaining - 1 }
        }
        return fault
    }

    // MARK: Routing

    private func route(_ request: EmulatorRequest, partialApply: Bool) async throws -> EmulatorResponse {
        // express.json runs for every request with a JSON body, before authentication.
        var jsonBody: JSONValue?
        if request.mediaType == "application/json" && !request.body.isEmpty {
            jsonBody = try parseJSONBody(request.body)
        }
        let accountability = try authenticate(request)
        if request.path.hasPrefix("/schema/") && parsedVersion < DirectusVersion(9, 23, 0) {
            // The schema endpoints arrived in 9.23.0; before, only the CLI could snapshot and apply.
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
        switch (request.method, request.path) {
        case ("GET", "/server/health"): return health(accountability)
        case ("GET", "/server/info"): return info(accountability)
        case ("POST", "/auth/login"): return try await login(jsonBody)
        case ("POST", "/auth/refresh"): return try refresh(jsonBody)
        case ("GET", "/schema/snapshot"): return try exportSnapshot(request, accountability)
        case ("POST", "/schema/diff"): return try diff(request, jsonBody, accountability)
        case ("POST", "/schema/apply"): return try apply(request, jsonBody, accountability, partial: partialApply)
        case (_, let path) where path.hasPrefix("/items/"):
            return try items(request, jsonBody, accountability)
        case ("POST", "/utils/import") where parsedVersion.supportsBatchImport:
            return try importBatch(request, accountability)
        case ("POST", let path) where path.hasPrefix("/utils/import/"):
            return try importItems(String(path.dropFirst("/utils/import/".count)), request, accountability)
        case (_, let path) where configurationKind(path) != nil && parsedVersion >= DirectusVersion(11, 0, 0):
            return try configurationRoute(request, jsonBody, accountability)
        default:
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
    }

    /// body-parser's JSON reading (`MAX_PAYLOAD_SIZE`, strict): failures are 400 INVALID_PAYLOAD.
    private func parseJSONBody(_ body: [UInt8]) throws -> JSONValue {
        if configuration.uploadLimits.outcome(transport: .json, bytes: body.count, version: parsedVersion)
            == .payloadTooLarge
        {
            throw DirectusErrorResponse.invalidPayload("request entity too large")
        }
        do {
            return try JSONParser.parse(body)
        } catch {
            throw DirectusErrorResponse.invalidPayload("Unexpected token in JSON at position \(error.offset)")
        }
    }

    // MARK: Authentication (extract-token.ts, get-accountability-for-token.ts)

    private func authenticate(_ request: EmulatorRequest) throws -> Accountability {
        var token: String?
        var count = 0
        if let query = request.queryValue("access_token") {
            token = query
            count += 1
        }
        if let header = request.header("authorization") {
            let parts = header.split(separator: " ", omittingEmptySubsequences: false)
            if parts.count == 2 && parts[0].lowercased() == "bearer" {
                token = String(parts[1])
                count += 1
            }
        }
        if count > 1 {
            throw DirectusErrorResponse.invalidPayload(
                "The request uses more than one method for including an access token")
        }
        guard let token, !token.isEmpty else { return .publicAccess }
        switch tokens.verify(token, now: Int(now())) {
        case .valid(let claims):
            if let revoked = tokensRevokedThrough, claims.serial <= revoked { throw DirectusErrorResponse.tokenExpired }
            guard let user = configuration.users.first(where: { $0.email == claims.userID }) else {
                throw DirectusErrorResponse.invalidCredentials
            }
            return Accountability(email: user.email, admin: user.admin)
        case .expired: throw DirectusErrorResponse.tokenExpired
        case .invalid: throw DirectusErrorResponse.invalidToken
        case .notAJWT:
            guard let user = configuration.users.first(where: { $0.staticToken == token }) else {
                throw DirectusErrorResponse.invalidCredentials
            }
            return Accountability(email: user.email, admin: user.admin)
        }
    }

    private func requireAdmin(_ accountability: Accountability) throws {
        guard accountability.admin else { throw DirectusErrorResponse.forbidden }
    }

    // MARK: /auth

    private func login(_ body: JSONValue?) async throws -> EmulatorResponse {
        let started = now()
        guard let email = body?["email"] else { throw DirectusErrorResponse.invalidPayload("\"email\" is required") }
        guard let password = body?["password"] else {
            throw DirectusErrorResponse.invalidPayload("\"password\" is required")
        }
        let user = configuration.users.first { $0.email == email.stringValue && $0.password == password.stringValue }
        // LOGIN_STALL_TIME: answer no sooner, whatever the outcome, so timing tells nothing.
        let elapsed = now() - started
        let stall = configuration.loginStall.seconds
        if stall > elapsed, let wait = Duration.checkedSeconds(stall - elapsed, atMost: 3600) {
            try? await Task.sleep(for: wait)
        }
        guard let user else { throw DirectusErrorResponse.invalidCredentials }
        return .data(issueTokens(for: user))
    }

    private func refresh(_ body: JSONValue?) throws -> EmulatorResponse {
        guard let token = body?["refresh_token"]?.stringValue, !token.isEmpty else {
            throw DirectusErrorResponse.invalidPayload("The refresh token is required in either the payload or cookie")
        }
        guard let session = refreshTokens[token], session.expires > now(),
            let user = configuration.users.first(where: { $0.email == session.email })
        else { throw DirectusErrorResponse.invalidCredentials }
        // The session row is overwritten: the old refresh token stops working.
        refreshTokens.removeValue(forKey: token)
        return .data(issueTokens(for: user))
    }

    private func issueTokens(for user: EmulatorConfiguration.User) -> JSONValue {
        let issuedAt = Int(saturating: now())
        let ttl = Int(configuration.accessTokenTTL.components.seconds)
        tokenSerial += 1
        let access = tokens.issue(
            .init(
                userID: user.email, admin: user.admin, expires: issuedAt + ttl, issuedAt: issuedAt, serial: tokenSerial),
            issuedAt: issuedAt)
        let refresh = "refresh-\(tokenSerial)-\(UUID().uuidString.lowercased())"
        refreshTokens[refresh] = (user.email, now() + Double(configuration.refreshTokenTTL.components.seconds))
        return [
            "expires": .number(JSONNumber(ttl * 1000)), "refresh_token": .string(refresh),
            "access_token": .string(access),
        ]
    }

    // MARK: /server

    private func health(_ accountability: Accountability) -> EmulatorResponse {
        var body: JSONValue = ["status": "ok"]
        if accountability.admin {
            body = [
                "status": "ok", "releaseId": .string(version), "serviceId": .string(configuration.publicURL),
                "checks": [:],
            ]
        }
        return .json(body, contentType: "application/health+json; charset=utf-8")
    }

    private func info(_ accountability: Accountability) -> EmulatorResponse {
        var data = JSONObject()
        data["project"] = [
            "project_name": .string(configuration.projectName), "project_descriptor": nil, "project_logo": nil,
            "project_color": "#6644FF", "default_appearance": "auto", "public_registration": false,
            "public_registration_verify_email": true,
        ]
        if parsedVersion.hasSystemFields { data["setupCompleted"] = true }
        if accountability.isUser {
            data["rateLimit"] = false
            data["rateLimitGlobal"] = false
            data["queryLimit"] = ["default": 100, "max": -1]
            data["websocket"] = false
            data["version"] = .string(version)
        }
        return .data(.object(data))
    }

    // MARK: /schema

    private func exportSnapshot(_ request: EmulatorRequest, _ accountability: Accountability) throws -> EmulatorResponse
    {
        try requireAdmin(accountability)
        var snapshot = currentSnapshot
        if parsedVersion.supportsPartialSnapshots {
            let include = request.queryValues("includeCollections")
            let exclude = request.queryValues("excludeCollections")
            do {
                let scope = try SnapshotScope(
                    includeCollections: include.isEmpty ? nil : include,
                    excludeCollections: exclude.isEmpty ? nil : exclude)
                if scope.isPartial { snapshot = PartialSnapshot.of(snapshot, scope: scope) }
            } catch {
                // zod-validation-error's rendering of the refinement (its exact text is not pinned).
                throw DirectusErrorResponse.invalidPayload("Validation error: \(error.description)")
            }
        }
        guard let export = request.queryValue("export") else { return .data(snapshot.json) }
        let stamp = Self.exportTimestamp(now())
        switch export {
        case "json":
            var response = EmulatorResponse(
                status: 200,
                headers: [
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("Content-Disposition", "attachment; filename=\"Export \(stamp).json\""),
                ],
                body: JSONWriter(layout: .indented("\t")).bytes(snapshot.json))
            response.headers.append(("Cache-Control", "no-cache"))
            return response
        case "yaml":
            let text = (try? YAMLWriter.string(snapshot.json)) ?? ""
            return EmulatorResponse(
                status: 200,
                headers: [
                    ("Content-Type", "text/yaml; charset=utf-8"),
                    ("Content-Disposition", "attachment; filename=\"Export \(stamp).yaml\""),
                ],
                body: Array(text.utf8))
        case "csv", "csv_utf8", "xml":
            throw DirectusErrorResponse.invalidPayload(
                "Exporting the schema snapshot as \(export) is not supported by the emulator")
        default:
            throw DirectusErrorResponse(
                status: 400, code: "INVALID_QUERY",
                message: "Invalid query. \"export\" must be one of [csv, csv_utf8, json, xml, yaml].",
                extensions: [("reason", "\"export\" must be one of [csv, csv_utf8, json, xml, yaml]")])
        }
    }

    static func exportTimestamp(_ seconds: Double) -> String {
        let date = Date(timeIntervalSince1970: seconds)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(c.year ?? 1970)\(two(c.month))\(two(c.day))-\(c.hour ?? 0)\(two(c.minute))\(two(c.second))"
    }

    /// The snapshot or diff a request uploads: a JSON body or the first uploaded file, read as the version reads
    /// it (11.x `schemaMultipartHandler`; 12.2+ `readFileUploadBody` with its `IMPORT_MAX_FILE_SIZE` cap).
    private func uploadedValue(_ request: EmulatorRequest, _ jsonBody: JSONValue?) throws -> JSONValue {
        switch request.mediaType {
        case "application/json":
            guard let jsonBody, !Self.isEmptyContainer(jsonBody) else {
                throw DirectusErrorResponse.invalidPayload("No data was included in the body")
            }
            return jsonBody
        case "multipart/form-data":
            return parsedVersion.capsMultipartUploads ? try uploadedFile(request) : try uploadedFileBefore12_2(request)
        default:
            throw DirectusErrorResponse.unsupportedMediaType(request.header("content-type"))
        }
    }

    /// 11.x: every file part is read; one file exactly, JSON by its type, YAML otherwise.
    private func uploadedFileBefore12_2(_ request: EmulatorRequest) throws -> JSONValue {
        guard let form = MultipartForm(contentType: request.header("content-type") ?? "", body: request.body) else {
            throw DirectusErrorResponse.invalidPayload("No file was included in the body")
        }
        let files = form.files
        guard let file = files.first else {
            throw DirectusErrorResponse.invalidPayload("No file was included in the body")
        }
        if files.count > 1 {
            throw DirectusErrorResponse.invalidPayload("More than one file was included in the body")
        }
        if file.contentType?.lowercased().hasPrefix("application/json") == true {
            guard let value = try? JSONParser.parse(file.body) else {
                throw DirectusErrorResponse.invalidPayload("The provided JSON is invalid")
            }
            return value
        }
        guard let text = String(validating: file.body, as: UTF8.self), let value = try? YAMLReader.read(text) else {
            throw DirectusErrorResponse.invalidPayload("The provided YAML is invalid")
        }
        return value
    }

    /// 12.2+: busboy with `files: 1` (the first file only) and `fileSize: IMPORT_MAX_FILE_SIZE` (a file that
    /// reaches it is 413); JSON when its type is `application/json`, YAML otherwise.
    private func uploadedFile(_ request: EmulatorRequest) throws -> JSONValue {
        guard let form = MultipartForm(contentType: request.header("content-type") ?? "", body: request.body),
            let file = form.files.first
        else {
            throw DirectusErrorResponse.invalidPayload("No file was included in the request")
        }
        if configuration.uploadLimits.outcome(transport: .multipart, bytes: file.body.count, version: parsedVersion)
            == .contentTooLarge
        {
            throw DirectusErrorResponse.contentTooLarge
        }
        let isJSON =
            file.contentType?.split(separator: ";").first.map { $0.trimmed(" ").lowercased() } == "application/json"
        let value: JSONValue?
        if isJSON {
            value = try? JSONParser.parse(file.body)
        } else {
            value = String(validating: file.body, as: UTF8.self).flatMap { try? YAMLReader.read($0) }
        }
        guard let value else {
            throw DirectusErrorResponse.invalidPayload("Uploaded file is not valid \(isJSON ? "JSON" : "YAML")")
        }
        if value == .null {
            throw DirectusErrorResponse.invalidPayload("No file was included in the request")
        }
        return value
    }

    static func isEmptyContainer(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let object): object.isEmpty
        case .array(let array): array.isEmpty
        default: false
        }
    }

    private func diff(
        _ request: EmulatorRequest, _ jsonBody: JSONValue?, _ accountability: Accountability
    ) throws
        -> EmulatorResponse
    {
        // 12.2+ checks the caller before reading the body; 11.x reads it first.
        if parsedVersion.capsMultipartUploads { try requireAdmin(accountability) }
        let upload = try uploadedValue(request, jsonBody)
        try requireAdmin(accountability)
        let mode: DiffMode
        do {
            mode = try SchemaQuery.diffMode(request.queryValue("mode"), version: parsedVersion)
        } catch {
            throw DirectusErrorResponse.invalidPayload(error.reason)
        }
        let current = currentSnapshot
        do {
            try DirectusValidation.validateSnapshot(
                upload, server: server,
                force: SchemaQuery.diffForce(request.queryValue("force"), version: parsedVersion))
        } catch {
            throw DirectusErrorResponse.invalidPayload(error)
        }
        let diff = SnapshotDiffer.diff(
            current: current, after: Snapshot(root: upload.objectValue ?? JSONObject()), mode: mode)
        if diff.isEmpty { return .noContent }
        return .data([
            "hash": .string(hash(of: current)),
            "diff": diff.json(includeSystemFields: parsedVersion.hasSystemFields),
        ])
    }

    private func apply(
        _ request: EmulatorRequest, _ jsonBody: JSONValue?, _ accountability: Accountability, partial: Bool
    ) throws -> EmulatorResponse {
        if parsedVersion.capsMultipartUploads { try requireAdmin(accountability) }
        let body = try uploadedValue(request, jsonBody)
        try requireAdmin(accountability)
        let current = currentSnapshot
        let decision: DirectusValidation.ApplyDecision
        do {
            decision = try DirectusValidation.validateApply(
                body, current: current, currentHash: hash(of: current), server: server,
                force: SchemaQuery.applyForce(request.queryValue("force"), version: parsedVersion))
        } catch {
            throw DirectusErrorResponse.invalidPayload(error)
        }
        guard case .apply(let diff) = decision else { return .noContent }
        var options = SnapshotApplier.Options(version: parsedVersion, vendor: configuration.vendor)
        options.skipsRefusedOperations = configuration.replaysRecordedCases
        if partial {
            let firstHalf = Self.firstHalf(of: diff)
            if let result = try? SnapshotApplier.apply(firstHalf, to: current, options: options) {
                snapshot = result
                appliedCount += 1
                persist()
            }
            throw DirectusErrorResponse.internalError(
                "Failed to apply the schema diff half-way: the injected failure left the schema partly changed")
        }
        do {
            snapshot = try SnapshotApplier.apply(diff, to: current, options: options)
            itemStore.prune(to: snapshot)
        } catch {
            // The transaction rolls back: the schema stays as it was.
            if error.isForbidden { throw DirectusErrorResponse.forbidden }
            if error.isInternal { throw DirectusErrorResponse.internalError("An unexpected error occurred.") }
            throw DirectusErrorResponse.invalidPayload(error.reason)
        }
        appliedCount += 1
        persist()
        return .noContent
    }

    /// The schema hash Directus computes: over the reported snapshot, with the server's version (or the recorded
    /// snapshot's own label when replaying verbatim).
    func hash(of snapshot: Snapshot) -> String {
        configuration.replaysRecordedCases
            ? DirectusHash.versionedHash(of: snapshot) : DirectusHash.versionedHash(of: snapshot, version: version)
    }

    /// The first half of a diff's entries, in the order Directus works through them.
    static func firstHalf(of diff: SnapshotDiff) -> SnapshotDiff {
        var budget = max(
            1, (diff.collections.count + diff.fields.count + diff.systemFields.count + diff.relations.count) / 2)
        func take(_ entries: [SnapshotDiff.Entry]) -> [SnapshotDiff.Entry] {
            let taken = Array(entries.prefix(budget))
            budget -= taken.count
            return taken
        }
        return SnapshotDiff(
            collections: take(diff.collections), fields: take(diff.fields), systemFields: take(diff.systemFields),
            relations: take(diff.relations))
    }

    // MARK: Configuration (roles, policies, access, permissions, flows, …)

    /// The configuration collection a path names (`/roles`, `/roles/KEY`, `/settings`).
    func configurationKind(_ path: String) -> ConfigKind? {
        let parts = path.split(separator: "/")
        guard (1...2).contains(parts.count), !String(parts[0]).hasPrefix("directus_") else { return nil }
        return ConfigKind(collection: String(parts[0]))
    }

    private func configurationRoute(
        _ request: EmulatorRequest, _ jsonBody: JSONValue?, _ accountability: Accountability
    ) throws -> EmulatorResponse {
        try requireAdmin(accountability)
        let parts = request.path.split(separator: "/").map(String.init)
        guard let kind = configurationKind(request.path) else {
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
        let key = parts.count == 2 ? parts[1].removingPercentEncoding ?? parts[1] : nil
        if kind == .settings {
            switch request.method {
            case "GET":
                return .data(
                    .object(
                        config.presented(
                            config.rows[.settings]?.first ?? EmulatedConfiguration.object(["id": 1]), .settings)))
            case "PATCH":
                guard let body = jsonBody?.objectValue else {
                    throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
                }
                if config.rows[.settings, default: []].isEmpty {
                    config.rows[.settings] = [EmulatedConfiguration.object(["id": 1])]
                }
                try config.update(
                    .settings, key: "1",
                    body.filter { $0.key != "license_key" && $0.key != "license_token" }.reduce(into: JSONObject()) {
                        $0[$1.key] = $1.value
                    })
                return .data(.object(config.presented(config.rows[.settings]![0], .settings)))
            default: throw DirectusErrorResponse.routeNotFound(request.path)
            }
        }
        switch (request.method, key) {
        case ("GET", nil):
            var limit = Int(request.queryValue("limit") ?? "") ?? 100
            if let cap = configuration.queryLimitMax { limit = limit < 0 ? cap : min(limit, cap) }
            let offset = Int(request.queryValue("offset") ?? "") ?? 0
            if request.queryValue("aggregate[count]") != nil {
                return .data([["count": .number(JSONNumber(config.rows[kind]?.count ?? 0))]])
            }
            return .data(.array(config.read(kind, limit: limit, offset: offset).map(JSONValue.object)))
        case ("GET", let key?):
            guard let index = config.find(kind, key) else { throw DirectusErrorResponse.forbidden }
            return .data(.object(config.presented(config.rows[kind]![index], kind)))
        case ("POST", nil):
            switch jsonBody {
            case .object(let object)?: return .data(.object(try config.create(kind, object)))
            case .array(let array)?:
                let saved = config
                do {
                    var created: [JSONValue] = []
                    for item in array {
                        created.append(.object(try config.create(kind, item.objectValue ?? JSONObject())))
                    }
                    return .data(.array(created))
                } catch {
                    config = saved  // one transaction
                    throw error
                }
            default: throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
            }
        case ("PATCH", let key?):
            try config.update(kind, key: key, jsonBody?.objectValue ?? JSONObject())
            guard let index = config.find(kind, key) else { return .noContent }
            return .data(.object(config.presented(config.rows[kind]![index], kind)))
        case ("PATCH", nil):
            let saved = config
            do {
                for item in jsonBody?.arrayValue ?? [] {
                    guard let object = item.objectValue,
                        let key = object["id"].flatMap({ $0.stringValue ?? $0.jsonString })
                    else { throw DirectusErrorResponse.invalidPayload("\"id\" is required") }
                    try config.update(kind, key: key, object)
                }
            } catch {
                config = saved
                throw error
            }
            return .noContent
        case ("DELETE", let key?):
            try config.delete(kind, key: key)
            return .noContent
        case ("DELETE", nil):
            let saved = config
            do {
                for item in jsonBody?.arrayValue ?? [] {
                    try config.delete(kind, key: item.stringValue ?? item.jsonString)
                }
            } catch {
                config = saved
                throw error
            }
            return .noContent
        default:
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
    }

    // MARK: /items and /utils/import (controllers/items.ts, controllers/utils.ts, services/import-export)

    /// The table of a user collection named in a path, or 403 as Directus answers for a collection that does not
    /// exist (or a system collection, which `/items` never serves).
    private func itemTable(_ collection: String) throws -> EmulatedItems.Table {
        guard !collection.hasPrefix("directus_"), let table = EmulatedItems.Table(collection, in: snapshot) else {
            throw DirectusErrorResponse.forbidden
        }
        return table
    }

    private func items(
        _ request: EmulatorRequest, _ jsonBody: JSONValue?, _ accountability: Accountability
    ) throws -> EmulatorResponse {
        try requireAdmin(accountability)
        let parts = request.path.dropFirst("/items/".count).split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count <= 2, let collection = parts.first, !collection.isEmpty else {
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
        // The key as text: `JSONValue` takes a `nil` literal, so an optional of it would not match `nil` patterns.
        let keyText: String? = parts.count == 2 ? parts[1] : nil
        if request.method == "GET" && keyText == nil && request.queryValue("aggregate[count]") != nil {
            // A collection without a table (or unknown) has no rows; the configured count stands in for data the
            // emulator does not hold.
            guard snapshot.collections.contains(where: { $0["collection"]?.stringValue == collection }) else {
                throw DirectusErrorResponse.forbidden
            }
            let held = EmulatedItems.Table(collection, in: snapshot).map { itemStore.read($0).count } ?? 0
            return .data([["count": .number(JSONNumber(rowCounts[collection] ?? held))]])
        }
        let table = try itemTable(collection)
        switch (request.method, keyText.map(Self.itemKey)) {
        case ("GET", .none):
            var rows = itemStore.read(table)
            if let sort = request.queryValue("sort"), !sort.isEmpty {
                rows = Self.sorted(rows, by: sort.split(separator: ",").map(String.init))
            }
            var limit = Int(request.queryValue("limit") ?? "") ?? 100
            if let cap = configuration.queryLimitMax { limit = limit < 0 ? cap : min(limit, cap) }
            var offset = max(0, Int(request.queryValue("offset") ?? "") ?? 0)
            if let page = Int(request.queryValue("page") ?? ""), page > 0, limit > 0 { offset = (page - 1) * limit }
            let total = rows.count
            let window = limit < 0 ? Array(rows.dropFirst(offset)) : Array(rows.dropFirst(offset).prefix(limit))
            var body = JSONObject()
            body["data"] = .array(window.map(JSONValue.object))
            if let meta = request.queryValue("meta") {
                var counts = JSONObject()
                for name in meta.split(separator: ",") where ["*", "filter_count", "total_count"].contains(name) {
                    if name == "*" || name == "total_count" { counts["total_count"] = .number(JSONNumber(total)) }
                    if name == "*" || name == "filter_count" { counts["filter_count"] = .number(JSONNumber(total)) }
                }
                body["meta"] = .object(counts)
            }
            return .json(.object(body))
        case ("GET", let key?):
            guard let index = itemStore.index(of: key, in: table) else { throw DirectusErrorResponse.forbidden }
            return .data(.object(itemStore.read(table)[index]))
        case ("POST", .none):
            let saved = itemStore
            do {
                switch jsonBody {
                case .object(let object)?:
                    let created = try itemStore.create(object, in: table, snapshot: snapshot)
                    persist()
                    return .data(.object(itemStore.read(table)[itemStore.index(of: created, in: table)!]))
                case .array(let list)?:
                    var created: [JSONValue] = []
                    for item in list {
                        guard let object = item.objectValue else {
                            throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
                        }
                        created.append(try itemStore.create(object, in: table, snapshot: snapshot))
                    }
                    persist()
                    let shown = itemStore.read(table)
                    return .data(.array(created.map { .object(shown[itemStore.index(of: $0, in: table)!]) }))
                default:
                    throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
                }
            } catch {
                itemStore = saved
                throw error
            }
        case ("PATCH", let key?):
            _ = try itemStore.update(key: key, jsonBody?.objectValue ?? JSONObject(), in: table, snapshot: snapshot)
            persist()
            return .data(.object(itemStore.read(table)[itemStore.index(of: key, in: table)!]))
        case ("PATCH", .none):
            let saved = itemStore
            do {
                var updated: [JSONValue] = []
                for item in jsonBody?.arrayValue ?? [] {
                    guard let object = item.objectValue, let key = object[table.primaryKey], !key.isNull else {
                        throw DirectusErrorResponse.invalidPayload("\"\(table.primaryKey)\" is required")
                    }
                    updated.append(try itemStore.update(key: key, object, in: table, snapshot: snapshot))
                }
                persist()
                let shown = itemStore.read(table)
                return .data(.array(updated.map { .object(shown[itemStore.index(of: $0, in: table)!]) }))
            } catch {
                itemStore = saved
                throw error
            }
        case ("DELETE", let key?):
            try itemStore.delete(key: key, in: table, snapshot: snapshot)
            persist()
            return .noContent
        case ("DELETE", .none):
            let keys = jsonBody?.arrayValue ?? jsonBody?["keys"]?.arrayValue
            guard let keys else { throw DirectusErrorResponse.invalidPayload("\"keys\" is required") }
            let saved = itemStore
            do {
                for key in keys { try itemStore.delete(key: key, in: table, snapshot: snapshot) }
            } catch {
                itemStore = saved
                throw error
            }
            persist()
            return .noContent
        default:
            throw DirectusErrorResponse.routeNotFound(request.path)
        }
    }

    /// `POST /utils/import/:collection`: a multipart upload whose file is a JSON array of rows, each upserted
    /// (created, or updated when it carries the key of an existing row) in one transaction: a bad row fails the
    /// import and nothing of it stays. Answers 200 with no body.
    private func importItems(
        _ collection: String, _ request: EmulatorRequest, _ accountability: Accountability
    ) throws -> EmulatorResponse {
        let table = try itemTable(collection.removingPercentEncoding ?? collection)
        guard request.mediaType == "multipart/form-data" else {
            throw DirectusErrorResponse(
                status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Unsupported Content-Type header")
        }
        try requireAdmin(accountability)
        guard let form = MultipartForm(contentType: request.header("content-type") ?? "", body: request.body),
            let file = form.files.first
        else { return EmulatorResponse(status: 200) }
        if configuration.uploadLimits.outcome(transport: .multipart, bytes: file.body.count, version: parsedVersion)
            == .contentTooLarge
        {
            throw DirectusErrorResponse.contentTooLarge
        }
        let mediaType = file.contentType?.split(separator: ";").first.map { $0.trimmed(" ").lowercased() }
        guard mediaType == "application/json" else {
            throw DirectusErrorResponse(
                status: 415, code: "UNSUPPORTED_MEDIA_TYPE",
                message: "Unsupported media type \"\(mediaType ?? "undefined")\" in file import.",
                extensions: [("mediaType", mediaType.map(JSONValue.string) ?? .null), ("where", "file import")])
        }
        guard case .array(let list)? = try? JSONParser.parse(file.body) else {
            throw DirectusErrorResponse.invalidPayload("Top-level array expected")
        }
        let saved = itemStore
        do {
            for item in list { _ = try itemStore.upsert(item, in: table, snapshot: snapshot) }
        } catch {
            itemStore = saved
            throw error
        }
        persist()
        return EmulatorResponse(status: 200)
    }

    /// 12.2's `POST /utils/import`: a multipart file holding `[{collection, items}]`, every collection in one
    /// transaction, parents first (a cycle of references is `IMPORT_CYCLICAL_RELATION`); `mode=merge` updates the
    /// rows whose key exists and creates the others, `mode=add` (the default) creates every row; a new row's
    /// auto-increment key is the instance's, references to it within the upload follow it (`mapped`);
    /// `dangerouslyAllowDelete` with merge deletes the rows the upload lacks; `dryRun` rolls everything back.
    /// Nested objects or arrays in relational fields are refused. Answers the counts per collection.
    private func importBatch(_ request: EmulatorRequest, _ accountability: Accountability) throws -> EmulatorResponse {
        try requireAdmin(accountability)
        guard request.mediaType == "multipart/form-data",
            let form = MultipartForm(contentType: request.header("content-type") ?? "", body: request.body),
            let file = form.files.first
        else { throw DirectusErrorResponse.invalidPayload("No file was included in the request") }
        if configuration.uploadLimits.outcome(transport: .multipart, bytes: file.body.count, version: parsedVersion)
            == .contentTooLarge
        {
            throw DirectusErrorResponse.contentTooLarge
        }
        guard case .array(let entries)? = try? JSONParser.parse(file.body) else {
            throw DirectusErrorResponse.invalidPayload("Top-level array expected")
        }
        let mode = request.queryValue("mode") ?? "add"
        guard ["add", "merge"].contains(mode) else {
            throw DirectusErrorResponse.invalidPayload("\"mode\" must be one of [add, merge]")
        }
        let dryRun = SchemaQuery.queryFlag(request.queryValue("dryRun"))
        let mirror = mode == "merge" && SchemaQuery.queryFlag(request.queryValue("dangerouslyAllowDelete"))
        var batches: [(table: EmulatedItems.Table, items: [JSONObject])] = []
        for entry in entries {
            guard let name = entry["collection"]?.stringValue, let items = entry["items"]?.arrayValue else {
                throw DirectusErrorResponse.invalidPayload("Each entry needs \"collection\" and \"items\"")
            }
            let table = try itemTable(name)
            var objects: [JSONObject] = []
            for item in items {
                guard let object = item.objectValue else {
                    throw DirectusErrorResponse.invalidPayload("\"value\" must be of type object")
                }
                for column in table.columns where column.references != nil {
                    if case .object = object[column.name] ?? .null {
                        throw DirectusErrorResponse.invalidPayload(
                            "Nested relational data is not supported in \"\(name).\(column.name)\"")
                    }
                    if case .array = object[column.name] ?? .null {
                        throw DirectusErrorResponse.invalidPayload(
                            "Nested relational data is not supported in \"\(name).\(column.name)\"")
                    }
                }
                objects.append(object)
            }
            batches.append((table, objects))
        }
        // Parents first: a collection goes once the collections of the upload it refers to have gone.
        var ordered: [(table: EmulatedItems.Table, items: [JSONObject])] = []
        var remaining = batches
        while !remaining.isEmpty {
            let names = Set(remaining.map(\.table.name))
            guard
                let next = remaining.firstIndex(where: { batch in
                    batch.table.columns.allSatisfy { column in
                        guard let related = column.references, related != batch.table.name else { return true }
                        return !names.contains(related)
                    }
                })
            else {
                throw DirectusErrorResponse(
                    status: 400, code: "IMPORT_CYCLICAL_RELATION",
                    message: "The collections to import refer to each other in a cycle: "
                        + names.sorted().joined(separator: ", ") + ".")
            }
            ordered.append(remaining.remove(at: next))
        }
        let saved = itemStore
        var counts = JSONObject()
        // Keys the instance gave in place of the upload's, per collection.
        var mappedKeys: [String: [String: JSONValue]] = [:]
        do {
            for (table, items) in ordered {
                var existing = 0
                var new = 0
                var mapped = 0
                var kept: Set<String> = []
                for var item in items {
                    for column in table.columns {
                        guard let related = column.references, let value = item[column.name], !value.isNull,
                            let mappedKey = mappedKeys[related]?[EmulatedItems.keyText(value)]
                        else { continue }
                        item[column.name] = mappedKey
                    }
                    let key = item[table.primaryKey] ?? .null
                    if mode == "merge", !key.isNull, itemStore.index(of: key, in: table) != nil {
                        _ = try itemStore.update(key: key, item, in: table, snapshot: snapshot)
                        existing += 1
                        kept.insert(EmulatedItems.keyText(key))
                        continue
                    }
                    if table.autoIncrement, !key.isNull {
                        item.removeValue(forKey: table.primaryKey)
                        let created = try itemStore.create(item, in: table, snapshot: snapshot)
                        mappedKeys[table.name, default: [:]][EmulatedItems.keyText(key)] = created
                        kept.insert(EmulatedItems.keyText(created))
                        mapped += 1
                    } else {
                        kept.insert(EmulatedItems.keyText(try itemStore.create(item, in: table, snapshot: snapshot)))
                    }
                    new += 1
                }
                var deleted = 0
                if mirror {
                    for row in itemStore.read(table) {
                        guard let key = row[table.primaryKey], !kept.contains(EmulatedItems.keyText(key)) else {
                            continue
                        }
                        try itemStore.delete(key: key, in: table, snapshot: snapshot)
                        deleted += 1
                    }
                }
                counts[table.name] = [
                    "existing": .number(JSONNumber(existing)), "new": .number(JSONNumber(new)),
                    "deleted": .number(JSONNumber(deleted)), "mapped": .number(JSONNumber(mapped)),
                ]
            }
        } catch {
            itemStore = saved
            throw error
        }
        if dryRun {
            itemStore = saved
        } else {
            persist()
        }
        return .data(["applied": .bool(!dryRun), "mode": .string(mode), "collections": .object(counts)])
    }

    /// A key from a path: a number when it reads as an integer (an integer key), the text otherwise.
    static func itemKey(_ text: String) -> JSONValue {
        if let number = Int(text) { return .number(JSONNumber(number)) }
        return .string(text)
    }

    /// Rows sorted by `fields` (`-name` descending), as the database sorts them.
    static func sorted(_ rows: [JSONObject], by fields: [String]) -> [JSONObject] {
        rows.sorted { left, right in
            for field in fields {
                let descending = field.hasPrefix("-")
                let name = descending ? String(field.dropFirst()) : field
                let a = left[name] ?? .null
                let b = right[name] ?? .null
                if a == b { continue }
                let less: Bool
                switch (a, b) {
                case (.number(let x), .number(let y)): less = x.doubleValue < y.doubleValue
                case (.null, _): less = true
                case (_, .null): less = false
                default: less = jsStringLess(a.stringValue ?? a.jsonString, b.stringValue ?? b.jsonString)
                }
                return descending ? !less : less
            }
            return false
        }
    }
}
