import DirectusClient
import DirectusEmulator
import Foundation
import TestSupport
import Testing

/// HTTPS: verification on by default, a private CA bundle, and the loudly logged escape hatch.
@Suite("Client TLS")
struct ClientTLSTests {
    /// A throwaway certificate authority and a server certificate for 127.0.0.1 it signed, made with openssl.
    static func makeCertificates() throws -> (ca: String, certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let extensions = path("server.ext")
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n".write(
            toFile: extensions, atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
                "-days", "2", "-subj", "/CN=directus-promoter test CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
                "-subj", "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", extensions,
            ],
        ]
        for arguments in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        return (path("ca.pem"), path("server.pem"), path("server.key"))
    }

    @Test(
        "HTTPS: refused without the CA, accepted with the CA bundle, accepted with verification off (and a warning)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func https() async throws {
        let certificates = try Self.makeCertificates()
        try await withEmulator(try makeEmulator(), tls: (certificates.certificate, certificates.key)) { url in
            #expect(url.hasPrefix("https://"))
            let strict = makeClient(url) { $0.retry = .none }
            await #expect {
                try await strict.serverInfo()
            } throws: { error in
                if case .unreachable = error as? DirectusClientError { return true }
                return false
            }
            let trusted = makeClient(url) { $0.tls.caBundlePath = certificates.ca }
            let info = try await trusted.serverInfo()
            #expect(info.version == "11.17.4")
            let logs = LogCapture()
            let insecure = makeClient(url, logs: logs) { $0.tls.insecureSkipVerify = true }
            let snapshot = try await insecure.snapshot()
            #expect(!snapshot.collections.isEmpty)
            #expect(logs.all.contains { $0.hasPrefix("warning") && $0.contains("verification is OFF") })
        }
    }
}
