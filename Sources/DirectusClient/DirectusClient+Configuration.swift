import DirectusConfig
import DirectusSchema
import Foundation

extension DirectusClient {
    /// The instance's configuration, read over REST as an admin (CONFIG-SPEC section 2): every row of each
    /// collection (`limit=-1`, `fields=*`), checked against the collection's count so that a read the instance
    /// silently cut short (`QUERY_LIMIT_MAX`) marks the export incomplete rather than passing for deletions.
    /// A collection the instance does not have (404: policies and access before 11.0) is left out.
    public func configuration(
        _ kinds: [ConfigKind] = ConfigKind.allCases
    ) async throws(DirectusClientError) -> ConfigExport {
        var rows: [ConfigKind: [JSONObject]] = [:]
        var notes: [String] = []
        var incomplete = false
        for kind in kinds {
            let path = "/" + kind.fileStem
            if kind == .settings {
                let answer = try await perform(
                    Call(
                        method: .GET, path: path, isIdempotent: true, operation: "read settings",
                        maxBytes: endpoint.maxSnapshotBytes))
                if answer.status == 404 { continue }
                let json = try Self.json(answer, operation: "read settings", expected: [200])
                rows[.settings] = json["data"]?.objectValue.map { [$0] } ?? []
                continue
            }
            let answer = try await perform(
                Call(
                    method: .GET, path: path, query: "limit=-1&fields=%2A", isIdempotent: true,
                    operation: "read \(kind.collection)", maxBytes: endpoint.maxSnapshotBytes))
            if answer.status == 404 { continue }
            let json = try Self.json(answer, operation: "read \(kind.collection)", expected: [200])
            guard let data = json["data"]?.arrayValue else {
                throw DirectusClientError.malformedResponse(detail: "\(kind.collection) answered without a data list")
            }
            let read = data.compactMap(\.objectValue)
            rows[kind] = read
            let counted = try await perform(
                Call(
                    method: .GET, path: path, query: "aggregate%5Bcount%5D=%2A", isIdempotent: true,
                    operation: "count \(kind.collection)"))
            if counted.status == 200,
                let total = (try? JSONParser.parse(counted.body))?["data"]?.arrayValue?.first?["count"],
                let count = total.numberValue?.intValue ?? total.stringValue.flatMap(Int.init)
            {
                // The count includes no synthetic rows; the read may add them (permissions for app access).
                let stored = read.filter { $0["id"] != nil }.count
                if stored < count {
                    incomplete = true
                    notes.append("\(kind.collection): \(stored) of \(count) rows read (QUERY_LIMIT_MAX?)")
                }
            }
        }
        return ConfigExport(format: .live, rows: rows, incomplete: incomplete, notes: notes)
    }
}

extension DirectusClient {
    /// A write to a configuration collection (CONFIG-SPEC section 2): one request, atomic on the instance, never
    /// counted against the tick's budget (a write that is due is sent with its whole request timeout). A `POST` is
    /// never sent twice; a `PATCH` or `DELETE` may be (the same effect).
    public enum ConfigurationWrite: Sendable {
        case create(JSONObject)
        case update(id: String, JSONObject)
        case delete(id: String)
        /// `PATCH /settings` (the singleton).
        case settings(JSONObject)
    }

    /// Sends one write to `kind`'s collection; a create answers the record as stored (its id).
    @discardableResult
    public func write(_ write: ConfigurationWrite, to kind: ConfigKind) async throws(DirectusClientError) -> JSONObject?
    {
        let base = "/" + kind.fileStem
        func path(_ id: String) -> String {
            base + "/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id)
        }
        let call: Call
        switch write {
        case .create(let body):
            call = Call(
                method: .POST, path: base, body: .json(JSONWriter().bytes(.object(body))), isIdempotent: false,
                operation: "create in \(kind.collection)", budgeted: false)
        case .update(let id, let body):
            call = Call(
                method: .PATCH, path: path(id), body: .json(JSONWriter().bytes(.object(body))), isIdempotent: true,
                operation: "update \(kind.collection) \(id)", budgeted: false)
        case .delete(let id):
            call = Call(
                method: .DELETE, path: path(id), isIdempotent: true, operation: "delete \(kind.collection) \(id)",
                budgeted: false)
        case .settings(let body):
            call = Call(
                method: .PATCH, path: "/settings", body: .json(JSONWriter().bytes(.object(body))), isIdempotent: true,
                operation: "update directus_settings", budgeted: false)
        }
        let answer = try await perform(call)
        if answer.status == 204 { return nil }
        let json = try Self.json(answer, operation: call.operation, expected: [200])
        return json["data"]?.objectValue
    }
}
