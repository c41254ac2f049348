import AsyncHTTPClient
import DirectusEmulator
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// A raw HTTP exchange, for checking exact statuses and bodies.
struct RawResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var json: JSONValue? { try? JSONParser.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The first error's message and code, from Directus's envelope.
    var errorMessage: String? { json?["errors"]?.arrayValue?.first?["message"]?.stringValue }
    var errorCode: String? { json?["errors"]?.arrayValue?.first?["extensions"]?["code"]?.stringValue }
}

enum Raw {
    static let adminToken = "test-admin-token"

    static func send(
        _ method: HTTPMethod, _ url: String, token: String? = adminToken, headers: [(String, String)] = [],
        body: [UInt8]? = nil, timeout: TimeAmount = .seconds(300)
    ) async throws -> RawResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        var collected = try await response.body.collect(upTo: 64 << 20)
        return RawResponse(
            status: Int(response.status.code), headers: response.headers,
            body: collected.readBytes(length: collected.readableBytes) ?? [])
    }

    static func postJSON(_ url: String, _ value: JSONValue, token: String? = adminToken) async throws -> RawResponse {
        try await send(
            .POST, url, token: token, headers: [("Content-Type", "application/json")], body: JSONWriter().bytes(value))
    }

    /// Uploads `value` as a multipart file (`file`, application/json or text/yaml).
    static func postFile(
        _ url: String, _ bytes: [UInt8], contentType: String = "application/json", token: String? = adminToken
    )
        async throws -> RawResponse
    {
        let boundary = "----directus-promoter-\(UUID().uuidString)"
        var body = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"snapshot\"\r\nContent-Type: \(contentType)\r\n\r\n"
                .utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send(
            .POST, url, token: token, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            body: body)
    }

    /// JSON when it fits Directus's 1 MB default, a file upload otherwise.
    static func postSnapshot(_ url: String, _ value: JSONValue) async throws -> RawResponse {
        let bytes = JSONWriter().bytes(value)
        if bytes.count < 1_000_000 {
            return try await send(.POST, url, headers: [("Content-Type", "application/json")], body: bytes)
        }
        return try await postFile(url, bytes)
    }
}

/// Checks a diff answer against a recorded one: status, then Directus's message and code (400), or the hash and
/// the diff (200), or no body (204).
func expectRecordedAnswer(_ response: RawResponse, _ expect: JSONValue?) {
    #expect(response.status == expect?["status"]?.numberValue?.intValue)
    switch response.status {
    case 400:
        let expected = expect?["body"]?["errors"]?.arrayValue?.first
        #expect(response.errorMessage == expected?["message"]?.stringValue)
        #expect(response.errorCode == expected?["extensions"]?["code"]?.stringValue)
    case 200:
        #expect(response.json?["data"]?["hash"] == expect?["body"]?["data"]?["hash"])
        #expect(
            response.json?["data"]?["diff"]?.comparableText == expect?["body"]?["data"]?["diff"]?.comparableText)
    default:
        #expect(response.body.isEmpty)
    }
}

/// Conformance files, parsed once per run.
extension Shared {
    private static let cache = Mutex<[String: JSONValue]>([:])

    /// A file of the conformance set, parsed once per run.
    static func json(_ relativePath: String) throws -> JSONValue {
        if let cached = cache.withLock({ $0[relativePath] }) { return cached }
        let value = try JSONParser.parse(Array(try Data(contentsOf: conformance.appendingPathComponent(relativePath))))
        cache.withLock { $0[relativePath] = value }
        return value
    }

    static func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: conformance.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("_") }.sorted()
    }

    static func snapshotValue(_ reference: JSONValue?) throws -> JSONValue {
        if let inline = reference?["inline"] { return inline }
        if let file = reference?["file"]?.stringValue { return try json(file) }
        throw HarnessError("unknown snapshot reference")
    }

    static func snapshot(_ reference: JSONValue?) throws -> Snapshot {
        Snapshot(root: try snapshotValue(reference).objectValue ?? JSONObject())
    }
}

extension JSONValue {
    var comparableText: String { JSONWriter(numberStyle: .javaScript).string(self) }
}

/// A replaying instance: behaves as 11.17.4, reports `snapshot` verbatim.
func replayInstance(_ snapshot: Snapshot) throws -> EmulatedInstance {
    var configuration = EmulatorConfiguration.withAdminToken(Raw.adminToken, vendor: snapshot.vendor ?? "postgres")
    configuration.replaysRecordedCases = true
    return try EmulatedInstance(configuration: configuration, snapshot: snapshot)
}
