import DirectusSchema
import Foundation

extension DirectusClient {
    /// A collection name or key as one path segment.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }

    /// Every row of a user collection (`GET /items`), in pages sorted by `primaryKey`, each page as long as the
    /// instance gives (`QUERY_LIMIT_MAX` may clamp it), until the count the first page reports (`meta=filter_count`)
    /// is read. A collection with more than `maxRows` rows is refused before its rows are read; a read that ends
    /// short of the count (rows deleted meanwhile) is an error rather than a smaller set.
    public func items(
        _ collection: String, primaryKey: String, maxRows: Int, pageSize: Int = 1_000
    ) async throws(DirectusClientError) -> [JSONObject] {
        let path = "/items/" + Self.segment(collection)
        let sort = Self.segment(primaryKey)
        var rows: [JSONObject] = []
        var total: Int?
        while total.map({ rows.count < $0 }) ?? true {
            let operation = "read \(collection)"
            let answer = try await perform(
                Call(
                    method: .GET, path: path,
                    query: "limit=\(pageSize)&offset=\(rows.count)&sort=\(sort)&fields=%2A&meta=filter_count",
                    isIdempotent: true, operation: operation, maxBytes: endpoint.maxSnapshotBytes))
            let json = try Self.json(answer, operation: operation, expected: [200])
            guard let page = json["data"]?.arrayValue else {
                throw DirectusClientError.malformedResponse(detail: "\(collection) answered without a data list")
            }
            if total == nil {
                guard let count = json["meta"]?["filter_count"], let number = count.numberValue?.intValue
                else {
                    throw DirectusClientError.malformedResponse(
                        detail: "\(collection) answered without meta.filter_count")
                }
                guard number <= maxRows else {
                    throw DirectusClientError.malformedResponse(
                        detail: "\(collection) has \(number) rows, over the limit of \(maxRows) (content.max-rows)")
                }
                total = number
            }
            if page.isEmpty { break }
            rows += page.compactMap(\.objectValue)
            if rows.count > maxRows {
                throw DirectusClientError.malformedResponse(
                    detail: "\(collection) gave more rows than it counted (over \(maxRows))")
            }
        }
        if let total, rows.count < total {
            throw DirectusClientError.malformedResponse(
                detail: "\(collection): \(rows.count) of \(total) rows read (rows removed while reading?)")
        }
        return rows
    }

    /// `POST /utils/import/:collection`: `rows` as a JSON file, each upserted (created, or updated when it carries
    /// the key of an existing row) in one transaction on the instance. Never sent twice (a row without its key
    /// would be created again), never counted against the tick's budget.
    public func importItems(_ rows: [JSONValue], into collection: String) async throws(DirectusClientError) {
        let boundary = "directus-promoter-\(UUID().uuidString)"
        var body = Array(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(collection).json\"\r\n"
                + "Content-Type: application/json\r\n\r\n").utf8)
        body += JSONWriter().bytes(.array(rows))
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let operation = "import into \(collection)"
        let answer = try await perform(
            Call(
                method: .POST, path: "/utils/import/" + Self.segment(collection),
                body: .multipart(boundary: boundary, bytes: body), isIdempotent: false, operation: operation,
                budgeted: false))
        guard [200, 204].contains(answer.status) else {
            throw Self.sized(
                DirectusClientError.classify(status: answer.status, body: answer.body), uploaded: body.count)
        }
    }

    /// `DELETE /items/:collection` with the keys: one request, one transaction on the instance.
    public func deleteItems(_ keys: [JSONValue], from collection: String) async throws(DirectusClientError) {
        let operation = "delete from \(collection)"
        let answer = try await perform(
            Call(
                method: .DELETE, path: "/items/" + Self.segment(collection),
                body: .json(JSONWriter().bytes(.array(keys))), isIdempotent: false, operation: operation,
                budgeted: false))
        guard [200, 204].contains(answer.status) else {
            throw DirectusClientError.classify(status: answer.status, body: answer.body)
        }
    }

    /// 12.2's `POST /utils/import`: several collections' rows in one transaction (`[{collection, items}]` as a JSON
    /// file), `mode` `merge` or `add`; with `dryRun`, checked and rolled back. Returns the counts the instance
    /// answers, per collection. A server before 12.2 answers 404 (`routeNotFound`).
    @discardableResult
    public func importBatch(
        _ collections: [(collection: String, items: [JSONValue])], mode: String, dryRun: Bool
    ) async throws(DirectusClientError) -> JSONValue {
        let boundary = "directus-promoter-\(UUID().uuidString)"
        let entries: [JSONValue] = collections.map {
            .object(JSONObject([("collection", .string($0.collection)), ("items", .array($0.items))]))
        }
        var body = Array(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"import.json\"\r\n"
                + "Content-Type: application/json\r\n\r\n").utf8)
        body += JSONWriter().bytes(.array(entries))
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let operation = dryRun ? "check an import (dry run)" : "import"
        let answer = try await perform(
            Call(
                method: .POST, path: "/utils/import",
                query: "mode=\(mode)" + (dryRun ? "&dryRun=true" : ""),
                body: .multipart(boundary: boundary, bytes: body), isIdempotent: dryRun, operation: operation,
                budgeted: false))
        let json = try Self.json(answer, operation: operation, expected: [200], uploaded: body.count)
        return json["data"] ?? json
    }
}
