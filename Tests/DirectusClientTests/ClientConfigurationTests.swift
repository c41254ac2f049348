import AsyncHTTPClient
import DirectusClient
import DirectusConfig
import DirectusEmulator
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Reading an instance's configuration over REST, and the refusals the emulator answers as Directus's services do.
@Suite("Configuration over REST")
struct ClientConfigurationTests {
    static func instance(version: String = "11.17.4", queryLimitMax: Int? = nil) throws -> EmulatedInstance {
        var configuration = EmulatorConfiguration.withAdminToken(adminToken, version: version)
        configuration.queryLimitMax = queryLimitMax
        return try EmulatedInstance(configuration: configuration, snapshot: baseSnapshot)
    }

    static func send(
        _ url: String, _ method: String, _ path: String, _ body: JSONValue? = nil
    ) async throws -> (status: Int, json: JSONValue?) {
        var request = HTTPClientRequest(url: url + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter().bytes(body)))
        }
        let response = try await testHTTPClient.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try? JSONParser.parse(Array(bytes.readableBytesView)))
    }

    @Test("a fresh 11.x instance: the public policy, the Administrator role and policy; canonical keys, no ids")
    func readsFreshInstance() async throws {
        let instance = try Self.instance()
        try await withEmulator(instance) { url in
            let export = try await makeClient(url).configuration()
            #expect(export.format == .live)
            #expect(!export.incomplete)
            let snapshot = ConfigNormalizer.snapshot(of: export)
            #expect(snapshot.entities["policy:@public"] != nil)
            #expect(snapshot.entities["policy:@admin"] != nil)
            #expect(snapshot.entities["role:Administrator"] != nil)
            #expect(snapshot.entities["access:role:Administrator→policy:@admin"] != nil)
            #expect(snapshot.entities["access:@public→policy:@public"] != nil)
            #expect(snapshot.skipped["app-access minimal permission"] == 2, "the synthetic rows are left out")
            #expect(snapshot.entities.keys.filter { $0.hasPrefix("permission:") }.isEmpty)
            // Another fresh instance has other ids and the same canonical configuration.
            let other = try Self.instance()
            try await withEmulator(other) { otherURL in
                let again = ConfigNormalizer.snapshot(of: try await makeClient(otherURL).configuration())
                #expect(again.contentHash == snapshot.contentHash)
            }
        }
    }

    @Test("Directus's refusals: a duplicate key, the last admin's access, a masked secret read back")
    func refusals() async throws {
        let instance = try Self.instance()
        try await withEmulator(instance) { url in
            let role: JSONValue = ["id": "8f2c4d3e-0000-4000-8000-000000000001", "name": "Editor", "icon": "edit"]
            #expect(try await Self.send(url, "POST", "/roles", role).status == 200)
            let duplicate = try await Self.send(url, "POST", "/roles", role)
            #expect(duplicate.status == 400)
            #expect(duplicate.json?["errors"]?.arrayValue?.first?["extensions"]?["code"] == "RECORD_NOT_UNIQUE")
            let permission: JSONValue = [
                "id": 99, "policy": .string(ConfigNormalizer.publicPolicyID), "collection": "city", "action": "read",
                "fields": ["*"],
            ]
            let created = try await Self.send(url, "POST", "/permissions", permission)
            #expect(created.json?["data"]?["id"] == 99, "an integer key the client sends is honoured by Directus")

            let access = await instance.configurationRows(.access).first { $0["role"] != .null && $0["role"] != nil }
            let key = try #require(access?["id"]?.stringValue)
            let lastAdmin = try await Self.send(url, "DELETE", "/access/\(key)")
            #expect(lastAdmin.status == 422)
            #expect(lastAdmin.json?["errors"]?.arrayValue?.first?["extensions"]?["code"] == "UNPROCESSABLE_CONTENT")
            #expect(await instance.configurationRows(.access).count == 2, "nothing was deleted")

            #expect(
                try await Self.send(url, "PATCH", "/settings", ["ai_openai_api_key": "sk-real-secret"]).status == 200)
            let settings = try await Self.send(url, "GET", "/settings")
            #expect(settings.json?["data"]?["ai_openai_api_key"] == .string(ConfigNormalizer.mask))
            let snapshot = ConfigNormalizer.snapshot(of: try await makeClient(url).configuration())
            #expect(snapshot.entities["settings"]?.fields["ai_openai_api_key"] == nil, "never compared")
            #expect(snapshot.entities["role:Editor"] != nil)
            #expect(snapshot.entities["permission:policy:@public/city/read"] != nil)
        }
    }

    @Test("a read cut short by the instance (QUERY_LIMIT_MAX) marks the export incomplete")
    func truncated() async throws {
        let instance = try Self.instance(queryLimitMax: 1)
        try await withEmulator(instance) { url in
            let rows = (1...3).map { index -> JSONObject in
                let row: JSONValue = [
                    "id": .string("00000000-0000-4000-8000-00000000000\(index)"), "name": .string("Role \(index)"),
                ]
                return row.objectValue!
            }
            await instance.setConfigurationRows(rows, for: .role)
            let export = try await makeClient(url).configuration([.role])
            #expect(export.incomplete)
            #expect(export.notes.first?.contains("1 of 3") == true)
        }
    }
}
