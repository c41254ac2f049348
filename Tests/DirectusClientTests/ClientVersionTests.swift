import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// The client speaks to each instance as its release understands: scopes and merge mode only where they are read,
/// `force` only as `force=true`, and a refused upload size reported with the setting to raise.
@Suite("Client across Directus releases")
struct ClientVersionTests {
    static func emulator(_ version: String, importMaxFileSize: Int = 52_428_800) throws -> EmulatedInstance {
        var configuration = EmulatorConfiguration.withAdminToken(adminToken, version: version)
        configuration.importMaxFileSize = importMaxFileSize
        var snapshot = baseSnapshot
        snapshot.collections.append([
            "collection": "scratch", "meta": ["collection": "scratch"], "schema": ["name": "scratch"],
        ])
        return try EmulatedInstance(configuration: configuration, snapshot: snapshot)
    }

    @Test("the version is read from /server/info once and remembered")
    func versionRemembered() async throws {
        let instance = try Self.emulator("12.4.0")
        try await withEmulator(instance) { url in
            let client = makeClient(url)
            let first = try await client.serverVersion()
            let second = try await client.serverVersion()
            #expect(first == DirectusVersion(12, 4, 0) && second == first)
            #expect(await instance.requestCount(method: "GET", path: "/server/info") == 1)
            await instance.upgrade(to: "12.5.0")
            await client.forgetServerVersion()
            let upgraded = try await client.serverVersion()
            #expect(upgraded == DirectusVersion(12, 5, 0))
        }
    }

    @Test("a scope is sent to 12.2+ only; older instances report everything")
    func scopes() async throws {
        for (version, partial) in [("12.4.0", true), ("12.1.0", false), ("11.17.4", false)] {
            let instance = try Self.emulator(version)
            try await withEmulator(instance) { url in
                let snapshot = try await makeClient(url).snapshot(scope: .exclude(["scratch", "a b"]))
                #expect(snapshot.formatVersion == (partial ? 2 : 1), "\(version)")
                #expect(snapshot.collections.contains { $0["collection"] == "scratch" } == !partial, "\(version)")
                let queries = await instance.queries(method: "GET", path: "/schema/snapshot")
                #expect(queries.last?["excludeCollections"] == (partial ? "scratch,a b" : nil), "\(version)")
            }
        }
    }

    @Test("merge mode is asked of 12.2+ only, and the answer says which mode it is in")
    func modes() async throws {
        for (version, merged) in [("12.2.0", true), ("12.1.0", false)] {
            let instance = try Self.emulator(version)
            try await withEmulator(instance) { url in
                var upload = baseSnapshot
                upload.root["directus"] = .string(version)
                let result = try await makeClient(url).diff(to: upload, force: false, mode: .merge)
                let queries = await instance.queries(method: "POST", path: "/schema/diff")
                #expect(queries.last?["mode"] == (merged ? "merge" : nil), "\(version)")
                #expect(queries.last?["force"] == nil, "never force=false")
                if merged {
                    #expect(result == .inSync, "merge keeps scratch: nothing to do")
                } else {
                    guard case .changes(let pending) = result else {
                        Issue.record("mirror deletes scratch")
                        return
                    }
                    #expect(pending.mode == .mirror)
                }
            }
        }
    }

    @Test("a 413 names IMPORT_MAX_FILE_SIZE, the size sent and a value that fits")
    func uploadTooLarge() async throws {
        let instance = try Self.emulator("12.4.0", importMaxFileSize: 1_000)
        try await withEmulator(instance) { url in
            let client = makeClient(url) { $0.multipartThreshold = 100 }
            do throws(DirectusClientError) {
                _ = try await client.diff(to: withExtraField(), force: true)
                Issue.record("the upload should be refused")
            } catch {
                guard case .uploadTooLarge(let setting, let bytes?) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(setting == "IMPORT_MAX_FILE_SIZE")
                #expect(bytes > 1_000)
                #expect(
                    error.description.contains("raise IMPORT_MAX_FILE_SIZE in its environment above \(bytes) bytes"))
                #expect(error.description.contains("IMPORT_MAX_FILE_SIZE=1mb"))
            }
        }
    }
}
