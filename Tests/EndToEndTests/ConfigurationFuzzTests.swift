import Foundation
import Testing

/// Hundreds of generated configuration files, each checked by the real binary: it loads (exit 0) or is refused
/// with exit 78 and every problem at file:line:column; it never crashes, hangs, or prints a secret.
@Suite("configuration fuzz")
struct ConfigurationFuzzTests {
    static let inlineToken = "tok-INLINE-7fa93c"
    static let webhookSecret = "whsec-INLINE-51d0"
    static let urlToken = "hooktoken-INLINE-2b8e"
    static let envToken = "tok-ENV-c4d19e"

    /// A deterministic generator, so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
    }

    static let durations = [
        "30s", "1h30m", "500ms", "0", "inf", "infinity", "-inf", "nan", "NaN", "1e400", "1e16", "1e-400",
        "99999999999999999999h", "9223372036854775807ms", "-1s", "1.5.5s", "0x10", "1_000s", "٣s", "", "\"\"",
        "[1, 2]", "{a: 1}", "30d", "31d", "720h", "721h", "1e3h", ".5s", "5.", "1h-30m", "~", "null", "true",
    ]
    static let numbers = [
        "1", "0", "-1", "2", "10", "11", "1e3", "99999999999999999999", "-0", "0x1F", "NaN", "1.5", "\"3\"", "[]",
        "9223372036854775807", "-9223372036854775808", "4294967296", "1_0",
    ]
    static let words = [
        "automatic", "manual", "allow", "approve", "never", "keep", "manage", "json", "slack", "?", "√",
    ]
    /// Valid for every duration key (none is over a request's or a connection's bound).
    static let validDurations = ["30s", "500ms", "2m", "90", "1m30s"]
    static let validNumbers = ["1", "2", "3"]

    /// One configuration, mutated.
    static func variant(_ seed: UInt64) -> (name: String, bytes: [UInt8]) {
        var random = Generator(state: seed &* 2_654_435_761 &+ 97)
        // A third of the variants keep valid values and only change the encoding or the line ends.
        let valid = seed % 3 == 0
        let durations = valid ? validDurations : durations
        let numbers = valid ? validNumbers : numbers
        let approvals = valid ? ["manual"] : words
        let policies = valid ? ["approve", "never"] : words
        var lines = [
            "poll:",
            "  interval: \(random.pick(durations))",
            "  jitter: \(random.pick(valid ? ["10%", "0.1"] : ["10%", "0.1", "2", "-1", "nan", "1e400", "50%"]))",
            "state_directory: /tmp/directus-promoter-fuzz-state",
            "timeouts:",
            "  connect: \(random.pick(durations))",
            "  request: \(random.pick(durations))",
            "webhooks:",
            "  - name: ops",
            "    url: https://hooks.example.com/\(urlToken)",
            "    secret: \(webhookSecret)",
            "environments:",
            "  - name: development",
            "    url: http://127.0.0.1:9",
            "    token: \(inlineToken)",
            "  - name: staging",
            "    url: http://127.0.0.1:9",
            "    token_env: DP_FUZZ_TOKEN",
            "    retry:",
            "      max_attempts: \(random.pick(numbers))",
            "      initial_delay: \(random.pick(durations))",
            "    timeouts:",
            "      request: \(random.pick(durations))",
            "      tick: \(valid ? "10m" : random.pick(durations))",
            "    limits:",
            "      max_snapshot_bytes: \(random.pick(valid ? ["268435456"] : numbers + ["268435456", "1024"]))",
            "  - name: production",
            "    url: http://127.0.0.1:9",
            "    token_env: DP_FUZZ_TOKEN",
            "    approval: \(random.pick(approvals))",
            "    approvals: \(random.pick(numbers))",
            "    destructive: \(random.pick(policies))",
            "    soak: \(random.pick(durations))",
            "    windows:",
            "      - {days: mon-fri, hours: \"\(random.pick(valid ? ["09:00-17:00"] : ["09:00-17:00", "25:00-26:00", "9-5"]))\"}",
        ]
        var name = "seed \(seed)"
        // Structural mutations: each variant gets one to three.
        for _ in 0..<(valid ? 0 : 1 + random.next() % 3) {
            let index = Int(random.next() % UInt64(lines.count))
            switch random.next() % 12 {
            case 0:  // a duplicate key
                lines.insert(lines[index], at: index)
                name += ", duplicate line \(index)"
            case 1:  // an unknown key, sometimes a secret used as a key
                let key = random.chance(40) ? inlineToken : random.pick(["colour", "aproval", "x_y", "ÿ", "a b"])
                let indent = String(lines[index].prefix { $0 == " " })
                lines.insert("\(indent)\(key): 1", at: index + 1)
                name += ", unknown key"
            case 2:  // deep nesting
                let depth = random.pick([10, 70, 5000])
                lines.append("deep: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
                name += ", nesting \(depth)"
            case 3:  // a removed line
                lines.remove(at: index)
                name += ", line \(index) removed"
            case 4:  // an indentation error
                lines[index] = " " + lines[index]
                name += ", indentation at \(index)"
            case 5:  // a tab
                lines[index] = "\t" + lines[index]
                name += ", tab at \(index)"
            case 6:  // an unclosed quote or bracket
                lines[index] += random.pick([" \"", " [", " {", " '"])
                name += ", unclosed at \(index)"
            case 7:  // anchors and aliases
                lines.append("anchors: &a [x, x, x, x, x, x, x, x]")
                lines.append("more: &b [*a, *a, *a, *a, *a, *a, *a, *a]")
                lines.append("most: [*b, *b, *b, *b, *b, *b, *b, *b]")
                name += ", aliases"
            case 8:  // many unknown keys
                lines += (0..<2000).map { "k\($0): \($0)" }
                name += ", 2000 unknown keys"
            case 9:  // a secret where a word is expected
                lines[index] = lines[index].split(separator: ":").first.map { "\($0): \(inlineToken)" } ?? lines[index]
                name += ", secret as a value at \(index)"
            case 10:  // a huge scalar
                lines.append("note: " + String(repeating: "z", count: 200_000))
                name += ", huge scalar"
            default:  // a scalar replaced by a structure
                lines[index] =
                    lines[index].split(separator: ":").first.map { "\($0): {a: [1, {b: 2}]}" } ?? lines[index]
                name += ", mapping at \(index)"
            }
        }
        var text = lines.joined(separator: random.chance(20) ? "\r\n" : "\n") + "\n"
        if !valid && random.chance(10) { text += "\u{0}" }
        var bytes = Array(text.utf8)
        switch random.next() % (valid ? 4 : 10) {
        case 0:
            bytes = [0xEF, 0xBB, 0xBF] + bytes
            name += ", BOM"
        case 1 where !valid:
            bytes.insert(0xFF, at: Int(random.next() % UInt64(bytes.count)))
            name += ", invalid UTF-8"
        case 2 where !valid:
            bytes = [0xFF, 0xFE] + bytes
            name += ", UTF-16 mark"
        default: break
        }
        return (name, bytes)
    }

    @Test(
        "240 generated variants: exit 0, or 78 with file:line:col; never a crash or a secret", .timeLimit(.minutes(5)))
    func fuzz() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var outcomes: [Int32: Int] = [:]
        for seed in UInt64(1)...240 {
            let (name, bytes) = Self.variant(seed)
            let path = directory.appendingPathComponent("config-\(seed).yaml").path
            _ = FileManager.default.createFile(
                atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
            let result = try await Binary.run(
                ["check-config", "--config", path], environment: ["DP_FUZZ_TOKEN": Self.envToken])
            outcomes[result.status, default: 0] += 1
            let output = result.standardOutput + result.standardError
            #expect([0, 78].contains(result.status), "\(name): exit \(result.status): \(output.prefix(500))")
            for secret in [Self.inlineToken, Self.webhookSecret, Self.urlToken, Self.envToken] {
                #expect(!output.contains(secret), "\(name): a secret in the output: \(output.prefix(500))")
            }
            #expect(output.utf8.count < 20_000, "\(name): \(output.utf8.count) bytes of output")
            if result.status == 78 {
                let problems = result.standardError.split(separator: "\n").filter { !$0.hasPrefix("warning:") }
                #expect(!problems.isEmpty, "\(name)")
                for line in problems where !line.hasPrefix("and ") {
                    #expect(
                        line.hasPrefix("\(path):") && line.dropFirst(path.count + 1).first?.isNumber == true,
                        "\(name): not file:line:col: \(line)")
                }
                #expect(problems.count <= 51, "\(name): at most 50 problems and a count")
            }
        }
        #expect(outcomes[0, default: 0] >= 80, "every valid variant loads: \(outcomes)")
        #expect(outcomes[78, default: 0] > 100, "most mutated ones are refused: \(outcomes)")
    }
}
