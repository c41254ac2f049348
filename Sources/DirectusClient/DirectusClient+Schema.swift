import DirectusSchema
import Foundation

extension DirectusClient {
    /// `GET /server/info`.
    public func serverInfo() async throws(DirectusClientError) -> ServerInfo {
        let answer = try await perform(
            Call(method: .GET, path: "/server/info", isIdempotent: true, operation: "server info"))
        return ServerInfo(json: try Self.json(answer, operation: "server info", expected: [200]))
    }

    /// `GET /server/health`; a 503 with `status: error` is a report, not a failure.
    public func health() async throws(DirectusClientError) -> HealthReport {
        let answer = try await perform(
            Call(method: .GET, path: "/server/health", isIdempotent: true, operation: "health check"))
        if answer.status == 503, let status = (try? JSONParser.parse(answer.body))?["status"]?.stringValue {
            return HealthReport(status: status)
        }
        let json = try Self.json(answer, operation: "health check", expected: [200])
        return HealthReport(status: json["status"]?.stringValue ?? "unknown")
    }

    /// The instance's Directus version, from `/server/info`, remembered for `maxAge` (a version changes only with
    /// an upgrade, which restarts the instance). `nil` when the instance does not say (before 10.8.3): the client
    /// then speaks to it as to 11.x.
    public func serverVersion(maxAge: Duration = .seconds(300)) async throws(DirectusClientError) -> DirectusVersion? {
        let clock = ContinuousClock()
        if let known = knownVersion, clock.now - known.at < maxAge { return known.version }
        let info = try await serverInfo()
        let version = info.version.flatMap(DirectusVersion.init)
        knownVersion = (version, clock.now)
        return version
    }

    /// Forgets the remembered version (an instance that answers as another version than expected).
    public func forgetServerVersion() { knownVersion = nil }

    /// `GET /schema/snapshot`, read into the order-preserving parser, refused beyond `maxSnapshotBytes`.
    /// A `scope` is sent only to an instance that reads it (12.2+); others report everything.
    public func snapshot(scope: SnapshotScope = .all) async throws(DirectusClientError) -> Snapshot {
        let answer = try await snapshotAnswer(scope: scope)
        let json = try Self.json(answer, operation: "snapshot", expected: [200])
        guard case .object(let root)? = json["data"] else {
            throw DirectusClientError.malformedResponse(detail: "the snapshot answer has no data object")
        }
        return Snapshot(root: root)
    }

    /// `GET /schema/snapshot` for a poller that records history: read only as far as it needs.
    ///
    /// Directus builds the snapshot from its schema in a fixed order, so an unchanged schema comes back as the same
    /// bytes: when the body's SHA-256 is `known` (the last body's), the schema is unchanged and nothing is parsed.
    /// Any other body is read into a `SnapshotDocument` (content hash and compact copy, without building the
    /// tree): its content may still be the same, as its content hash says.
    public func snapshot(
        unlessBodyHash known: String?, scope: SnapshotScope = .all
    ) async throws(DirectusClientError) -> SnapshotPoll {
        let answer = try await snapshotAnswer(scope: scope)
        guard answer.status == 200 else {
            throw DirectusClientError.classify(status: answer.status, body: answer.body)
        }
        let bodyHash = Snapshot.sha256(answer.body)
        if bodyHash == known { return .unchanged(bodyHash: bodyHash, bytes: answer.body.count) }
        let tape: JSONTape
        do {
            tape = try JSONTape.parse(answer.body)
        } catch {
            throw DirectusClientError.malformedResponse(
                detail: "snapshot answered with invalid JSON (\(error.message))")
        }
        guard let data = tape.member("data", of: JSONTape.root), tape.kind(data) == .object else {
            throw DirectusClientError.malformedResponse(detail: "the snapshot answer has no data object")
        }
        return .document(SnapshotDocument(tape: tape, node: data), bodyHash: bodyHash, bytes: answer.body.count)
    }

    private func snapshotAnswer(scope: SnapshotScope) async throws(DirectusClientError) -> Answer {
        var query = ""
        if scope.isPartial, let version = try await serverVersion() {
            query = SchemaQuery.snapshotQuery(scope: scope, version: version)
        }
        return try await perform(
            Call(
                method: .GET, path: "/schema/snapshot", query: query, isIdempotent: true, operation: "snapshot",
                maxBytes: endpoint.maxSnapshotBytes, extraHeaders: [("Cache-Control", "no-store")]))
    }

    /// The instance's Directus version (from `/server/info`) and vendor (from its snapshot header).
    public func identify() async throws(DirectusClientError) -> (version: String?, vendor: String?) {
        let info = try await serverInfo()
        let snapshot = try await snapshot()
        return (info.version ?? snapshot.directus, snapshot.vendor)
    }

    /// `POST /schema/diff` with `snapshot` as the desired schema. `force` is sent only as `force=true` (up to 12.1
    /// the mere presence of `force`, even `force=false`, forces); `mode: .merge` is sent to instances that read it
    /// (12.2+), and the answer says which mode the diff was computed in.
    public func diff(
        to snapshot: Snapshot, force: Bool = false, mode: DiffMode = .mirror
    ) async throws(DirectusClientError) -> DiffResult {
        let version = mode == .merge ? try await serverVersion() : nil
        let (query, used) = SchemaQuery.diffQuery(force: force, mode: mode, version: version)
        let body = upload(snapshot.json)
        let answer = try await perform(
            Call(
                method: .POST, path: "/schema/diff", query: query, body: body, isIdempotent: true, operation: "diff",
                maxBytes: endpoint.maxSnapshotBytes))
        if answer.status == 204 { return .inSync }
        let json = try Self.json(answer, operation: "diff", expected: [200], uploaded: body.count)
        guard let hash = json["data"]?["hash"]?.stringValue, let raw = json["data"]?["diff"] else {
            throw DirectusClientError.malformedResponse(detail: "the diff answer has no hash or diff")
        }
        do {
            return .changes(PendingDiff(hash: hash, diff: try SnapshotDiff(json: raw), raw: raw, mode: used))
        } catch {
            throw DirectusClientError.malformedResponse(detail: "the diff is not a Directus diff: \(error.message)")
        }
    }

    /// `POST /schema/apply`. Sent once, never retried: if the connection fails after sending, the outcome is
    /// unknown (`applyOutcomeUnknown`) and the caller diffs again to find out.
    public func apply(_ pending: PendingDiff, force: Bool = false) async throws(DirectusClientError) {
        let body = upload(pending.applyBody)
        let answer = try await perform(
            Call(
                method: .POST, path: "/schema/apply", query: SchemaQuery.applyQuery(force: force), body: body,
                isIdempotent: false, operation: "apply"))
        guard answer.status == 204 || answer.status == 200 else {
            throw Self.sized(
                DirectusClientError.classify(status: answer.status, body: answer.body, duringApply: true),
                uploaded: body.count)
        }
    }

    /// How many rows a collection holds (`aggregate[count]=*`), or `nil` when the instance will not say.
    public func rowCount(collection: String) async -> Int? {
        let path = "/items/" + (collection.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? collection)
        guard
            let answer = try? await perform(
                Call(
                    method: .GET, path: path, query: "aggregate%5Bcount%5D=*", isIdempotent: true,
                    operation: "row count")),
            answer.status == 200, let data = (try? JSONParser.parse(answer.body))?["data"]?.arrayValue?.first
        else { return nil }
        let count = data["count"]
        return count?.numberValue?.intValue ?? count?.stringValue.flatMap(Int.init)
    }

    // MARK: Helpers

    /// An upload refused for its size, with the size.
    static func sized(_ error: DirectusClientError, uploaded: Int?) -> DirectusClientError {
        if case .uploadTooLarge(let setting, nil) = error, let uploaded {
            return .uploadTooLarge(setting: setting, bytes: uploaded)
        }
        return error
    }

    /// JSON when it fits under the threshold, else a multipart file upload.
    func upload(_ value: JSONValue) -> Upload {
        let bytes = JSONWriter().bytes(value)
        if bytes.count < endpoint.multipartThreshold { return .json(bytes) }
        let boundary = "directus-promoter-\(UUID().uuidString)"
        var body = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"snapshot.json\"\r\nContent-Type: application/json\r\n\r\n"
                .utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return .multipart(boundary: boundary, bytes: body)
    }

    /// The parsed JSON of an expected answer, or the typed error for the answer Directus gave (with the size of
    /// what was `uploaded`, when the instance refused it for its size).
    static func json(
        _ answer: Answer, operation: String, expected: Set<Int>, uploaded: Int? = nil
    ) throws(DirectusClientError) -> JSONValue {
        guard expected.contains(answer.status) else {
            throw sized(DirectusClientError.classify(status: answer.status, body: answer.body), uploaded: uploaded)
        }
        do {
            return try JSONParser.parse(answer.body)
        } catch {
            throw DirectusClientError.malformedResponse(
                detail: "\(operation) answered with invalid JSON (\(error.message))")
        }
    }
}
