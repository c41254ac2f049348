import DirectusSchema
import Foundation
import PromotionDaemon
import Redaction
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Numbers, secrets, log lines, the lock and the status server's limits: the small pieces that keep hostile input
/// from reaching a trap, a leak or a hang.
@Suite("Bounds")
struct BoundsTests {
    @Test(
        "numbers from outside convert without traps",
        arguments: [
            (Double.nan, 0), (.infinity, Int.max), (-.infinity, Int.min), (1e300, Int.max), (-1e300, Int.min),
            (42.9, 42), (-42.9, -42),
        ])
    func saturating(value: Double, expected: Int) {
        #expect(Int(saturating: value) == expected)
    }

    @Test("durations from outside: finite, not negative, bounded")
    func checkedDurations() {
        #expect(Duration.checkedSeconds(.nan, atMost: 10) == nil)
        #expect(Duration.checkedSeconds(.infinity, atMost: 10) == nil)
        #expect(Duration.checkedSeconds(-1, atMost: 10) == nil)
        #expect(Duration.checkedSeconds(11, atMost: 10) == nil)
        #expect(Duration.checkedSeconds(1.5, atMost: 10) == .milliseconds(1500))
        #expect(Duration.checkedSeconds(1e20, atMost: .infinity) == nil)
    }

    @Test(
        "configuration durations: out of range is an error, never a trap",
        arguments: ["inf", "infinity", "1e400", "1e16", "99999999999999999999h", "nan", "-1s", "1e3000ms", "٣s"])
    func durationBounds(text: String) throws {
        var reader = ConfigurationReader(file: "c.yaml")
        let yaml =
            "poll: {interval: \(text)}\nenvironments:\n  - {name: a, url: 'http://a', token_env: A}\n"
            + "  - {name: b, url: 'http://b', token_env: B}\n"
        #expect(throws: ConfigurationError.self) { try reader.read(yaml) }
        #expect(ConfigurationReader.parseDuration(text) == nil || text == "1e16")
    }

    @Test("a configuration with a byte-order mark is read; one with more than 50 problems lists 50 and a count")
    func bomAndProblemCap() throws {
        var reader = ConfigurationReader(file: "c.yaml")
        let valid =
            "environments:\n  - {name: a, url: 'http://a', token_env: A}\n  - {name: b, url: 'http://b', token_env: B}\n"
        let configuration = try reader.read("\u{FEFF}" + valid)
        #expect(configuration.environments.count == 2)
        var many = ConfigurationReader(file: "c.yaml")
        let text = valid + (0..<120).map { "unknown\($0): 1" }.joined(separator: "\n")
        do {
            _ = try many.read(text)
            Issue.record("expected problems")
        } catch {
            #expect(error.problems.count == 120)
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 51)
            #expect(lines.last == "and 70 more")
        }
    }

    @Test("a file over 1 MiB is refused before it is parsed")
    func oversizedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let keys = (0..<100_000).map { "key\($0): \($0)" }.joined(separator: "\n")
        try keys.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try ConfigurationReader.load(path: path) }
        do {
            _ = try ConfigurationReader.load(path: path)
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.description.contains("larger than 1 MiB"))
        }
    }

    @Test("a duplicate key is located without the file's content (secrets included)")
    func duplicateKeyQuotesNothing() throws {
        var reader = ConfigurationReader(file: "c.yaml")
        let text = """
            webhooks:
              - {name: w, url: 'https://hooks.example.com/hook-SECRET-a1', secret: whsec-SECRET-b2}
            environments:
              - {name: a, url: 'http://a', token: tok-SECRET-c3}
              - {name: b, url: 'http://b', token_env: B, token_env: B}
            """
        do {
            _ = try reader.read(text)
            Issue.record("expected a problem")
        } catch {
            #expect(error.description.hasPrefix("c.yaml:5:"), "\(error.description)")
            #expect(error.description.contains("token_env"))
            #expect(!error.description.contains("SECRET"), "\(error.description)")
        }
    }

    @Test("the redactor blanks out every registered secret, longest first; short ones are not searched for")
    func redactor() {
        let redactor = Redactor()
        redactor.register("abc")
        redactor.register("token-123")
        redactor.register("token-123456")
        #expect(redactor.redact("a token-123456 and token-123, abc") == "a <redacted> and <redacted>, abc")
        for index in 0..<(Redactor.capacity + 10) { redactor.register("secret-number-\(index)") }
        #expect(redactor.count == Redactor.capacity)
        #expect(redactor.redact("secret-number-5") == "secret-number-5", "the oldest were let go")
        #expect(redactor.redact("secret-number-\(Redactor.capacity + 9)") == "<redacted>")
    }

    @Test("a log record is one line, without control characters")
    func oneLine() {
        #expect(DaemonLogHandler.oneLine("first\nsecond\r\nthird") == "first; second; third")
        #expect(DaemonLogHandler.oneLine("bell\u{7}escape\u{1B}[31m") == "bell escape [31m")
        #expect(DaemonLogHandler.oneLine("plain") == "plain")
    }

    @Test("the lock says who holds it, and nobody once it is released")
    func lockHolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(InstanceLock.holder(directory: directory) == nil)
        var lock: InstanceLock? = try InstanceLock(directory: directory)
        let holder = try #require(InstanceLock.holder(directory: directory))
        #expect(holder.pid == getpid())
        #expect(holder.since.map { abs($0.timeIntervalSinceNow) < 60 } == true)
        #expect(throws: InstanceLock.Held.self) { try InstanceLock(directory: directory) }
        withExtendedLifetime(lock) {}
        lock = nil
        #expect(InstanceLock.holder(directory: directory) == nil)
        // A lock file naming a pid, with no process holding the lock: nobody.
        try "1 1 1\n".write(toFile: InstanceLock.path(directory: directory), atomically: false, encoding: .utf8)
        #expect(InstanceLock.holder(directory: directory) == nil)
    }
}

/// The status server's limits, with real sockets on loopback.
@Suite("Status server limits")
struct StatusServerLimitsTests {
    /// A raw TCP connection to the server.
    final class Connection {
        let descriptor: Int32
        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func send(_ text: String) {
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }

        /// Reads until the server closes the connection (true) or `seconds` pass (false).
        func closedByServer(within seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { return true }
                if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return true }
            }
            return false
        }

        /// Reads one answer's head.
        func readAnswer() -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        }

        deinit { close(descriptor) }
    }

    /// Runs `body` with a status server under `limits`, given its port.
    func withServer(_ limits: StatusServer.Limits, _ body: @escaping @Sendable (Int) throws -> Void) async throws {
        let server = StatusServer(host: "127.0.0.1", port: 0, limits: limits) { _ in
            StatusServer.Response(status: 200, contentType: "text/plain", body: Array("ok\n".utf8))
        }
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = addresses.makeAsyncIterator()
        let address = try #require(await iterator.next())
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        try await offThePool { try body(port) }
    }

    @Test("a connection that sends no request, or stays idle after one, is closed")
    func timeouts() async throws {
        try await withServer(.init(headerTimeout: .milliseconds(300), idleTimeout: .milliseconds(400))) { port in
            // Silent after connecting: closed after the header timeout.
            let silent = try Connection(port: port)
            #expect(silent.closedByServer(within: 3))

            // Half a request head, then nothing: closed too.
            let partial = try Connection(port: port)
            partial.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            #expect(partial.closedByServer(within: 3))

            // A complete request is answered; the kept-alive connection is closed once idle.
            let kept = try Connection(port: port)
            kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(kept.readAnswer().hasPrefix("HTTP/1.1 200"))
            #expect(kept.closedByServer(within: 3))
        }
    }

    @Test("at most N connections are open; one more is closed at once, and served again once one goes")
    func connectionCap() async throws {
        try await withServer(.init(headerTimeout: .seconds(30), maxConnections: 4)) { port in
            var open = try (0..<4).map { _ in try Connection(port: port) }
            Thread.sleep(forTimeInterval: 0.2)
            let extra = try Connection(port: port)
            #expect(extra.closedByServer(within: 2), "over the cap")
            open.removeLast()
            Thread.sleep(forTimeInterval: 0.2)
            let again = try Connection(port: port)
            again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(again.readAnswer().hasPrefix("HTTP/1.1 200"))
            withExtendedLifetime(open) {}
        }
    }
}
