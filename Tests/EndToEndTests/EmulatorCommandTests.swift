import AsyncHTTPClient
import DirectusSchema
import Foundation
import NIOCore
import TestSupport
import Testing

/// `directus-promoter emulator` as a real process.
@Suite("emulator command")
struct EmulatorCommandTests {
    /// Starts the binary, returns it with the URL it printed.
    static func start(_ arguments: [String]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = Binary.executable
        process.arguments = ["emulator", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first else { break }
            if first == 0x0A { break }
            line.append(first)
        }
        return (process, String(decoding: line, as: UTF8.self))
    }

    static func get(_ url: String, token: String) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var body = try await response.body.collect(upTo: 64 << 20)
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        return (Int(response.status.code), try? JSONParser.parse(bytes))
    }

    @Test("serves the snapshot it was given, with faults, and stops on SIGTERM")
    func servesAndStops() async throws {
        let snapshot = Shared.corpus.appendingPathComponent("Dsek-LTH__web__cms__snapshot__bea357a0.yaml").path
        let (process, url) = try Self.start([
            "--snapshot", snapshot, "--admin-token", "e2e-token", "--directus-version", "11.5.1",
            "--fault", "503@/schema/snapshotx1",
        ])
        defer { if process.isRunning { process.terminate() } }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let (faulted, _) = try await Self.get(url + "/schema/snapshot", token: "e2e-token")
        #expect(faulted == 503)
        let (status, body) = try await Self.get(url + "/schema/snapshot", token: "e2e-token")
        #expect(status == 200)
        #expect(body?["data"]?["directus"] == "11.5.1")
        let expected = try SnapshotLoader.load(contentsOfFile: snapshot).snapshot
        #expect(body?["data"]?["collections"]?.arrayValue?.count == expected.collections.count)
        #expect(body?["data"]?["fields"]?.arrayValue?.count == expected.fields.count)
        let (denied, _) = try await Self.get(url + "/schema/snapshot", token: "wrong")
        #expect(denied == 401)

        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "SIGTERM stops it")
        #expect(process.terminationStatus == 0)
    }

    @Test("bad options are refused with a clear message")
    func badOptions() async throws {
        let fault = try await Binary.run(["emulator", "--fault", "explode"])
        #expect(fault.status != 0)
        #expect(fault.standardError.contains("--fault explode: not a fault"))
        let missing = try await Binary.run(["emulator", "--snapshot", "/nonexistent.yaml", "--port", "0"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("/nonexistent.yaml: no such file"))
    }
}
