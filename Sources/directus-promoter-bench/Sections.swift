import AsyncHTTPClient
import DirectusClient
import DirectusEmulator
import DirectusSchema
import Foundation
import Logging
import PromotionDaemon
import PromotionStore

#if canImport(Glibc)
import Glibc
#endif

/// Sizes of one run: the real one, or the smoke run the test suite does in seconds.
struct Scale {
    var collections: Int
    var fieldsPerCollection: Int
    var relations: Int
    var runs: Int
    var generatedRevisions: Int
    var historyVersions: Int?
    var settle: Double
    /// The generated history uses a tenth of the large snapshot: 200 versions of the full one would be 10 GB of
    /// raw history for git to pack in every run.
    var historyCollections: Int

    static let full = Scale(
        collections: 2000, fieldsPerCollection: 20, relations: 5000, runs: 7, generatedRevisions: 200,
        historyVersions: nil, settle: 4, historyCollections: 200)
    static let smoke = Scale(
        collections: 40, fieldsPerCollection: 6, relations: 30, runs: 2, generatedRevisions: 8, historyVersions: 8,
        settle: 1.5, historyCollections: 20)
}

let sharedDirectory: URL = {
    if let override = ProcessInfo.processInfo.environment["DIRECTUS_PROMOTER_SHARED"] {
        return URL(fileURLWithPath: override)
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent()
        .appendingPathComponent("shared")
}()

/// Median wall time of `runs` calls, in seconds, after one call not counted (first-touch page faults, caches).
func medianSeconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var timings: [Double] = []
    for _ in 0..<max(1, runs) {
        let start = ContinuousClock.now
        try body()
        timings.append((ContinuousClock.now - start).seconds)
    }
    return timings.sorted()[timings.count / 2]
}

/// This process's user + system CPU time, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Runs a program to completion; its standard output.
@discardableResult
func run(_ path: String, _ arguments: [String], in directory: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
func kilobytes(_ bytes: Int) -> String { String(format: "%.1f KB", Double(bytes) / 1e3) }
func verdict(_ met: Bool) -> String { met ? "met" : "**missed**" }

/// The largest JSON snapshot of the corpus.
func largestCorpusFile() throws -> URL {
    let corpus = sharedDirectory.appendingPathComponent("corpus")
    let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".json") }
    let sized = files.map { name -> (URL, Int) in
        let url = corpus.appendingPathComponent(name)
        return (url, (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
    }
    // The largest file that is a real snapshot export (the corpus also holds oddities).
    for (url, _) in sized.sorted(by: { $0.1 > $1.1 }) where (try? SnapshotLoader.load(contentsOfFile: url.path)) != nil
    {
        return url
    }
    throw BenchError("no snapshot in \(corpus.path)")
}

/// The snapshot versions of one history directory, in order (its COMMITS.tsv left out).
func snapshotFiles(in directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
        $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json")
    }.sorted()
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: 1. Parse + hash

func parseBenchmark(scale: Scale, generated: Snapshot) throws -> [String] {
    let corpusFile = try largestCorpusFile()
    let generatedFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-generated.json")
    try Data(JSONWriter().bytes(generated.json)).write(to: generatedFile)
    defer { try? FileManager.default.removeItem(at: generatedFile) }
    var lines = [
        "Ours, as a poll reads a new body: `JSONTape` (the document parsed into a flat list of nodes, no tree) and the "
            + "canonical SHA-256 streamed from it. Ours, tree: parsed into `JSONValue` (what diffing and planning "
            + "use), then the canonical encoding hashed. The ratio is the poll's path against Python's.",
        "",
        "| Input | Size | Ours: tape + canonical SHA-256 | Ours: tree + canonical SHA-256 | Python 3 json + hashlib "
            + "| Ratio | Target ≥ 1.0 |",
        "|---|---|---|---|---|---|---|",
    ]
    for (label, url) in [
        ("largest corpus file (\(corpusFile.lastPathComponent))", corpusFile), ("generated", generatedFile),
    ] {
        let bytes = Array(try Data(contentsOf: url))
        let ours = try medianSeconds(runs: scale.runs) {
            _ = try JSONTape.parse(bytes).canonicalSHA256()
        }
        let tree = try medianSeconds(runs: scale.runs) {
            guard case .object(let root) = try JSONParser.parse(bytes) else { throw BenchError("not an object") }
            _ = Snapshot(root: root).contentHash
        }
        let script = """
            import json, hashlib, sys, time
            data = open(sys.argv[1], 'rb').read()
            timings = []
            for _ in range(int(sys.argv[2])):
                start = time.perf_counter()
                value = json.loads(data)
                hashlib.sha256(json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()).hexdigest()
                timings.append(time.perf_counter() - start)
            timings.sort()
            print(timings[len(timings) // 2])
            """
        let python = Double(
            try run("/usr/bin/env", ["python3", "-c", script, url.path, "\(scale.runs)"]).trimmingCharacters(
                in: .whitespacesAndNewlines))
        let oursRate = Double(bytes.count) / 1e6 / ours
        let pythonRate = python.map { Double(bytes.count) / 1e6 / $0 }
        let ratio = pythonRate.map { oursRate / $0 }
        lines.append(
            "| \(label) | \(megabytes(bytes.count)) | \(String(format: "%.1f MB/s", oursRate)) | "
                + "\(String(format: "%.1f MB/s", Double(bytes.count) / 1e6 / tree)) | "
                + (pythonRate.map { String(format: "%.1f MB/s", $0) } ?? "python3 unavailable") + " | "
                + (ratio.map { String(format: "%.2f", $0) } ?? "—") + " | " + (ratio.map { verdict($0 >= 1) } ?? "—")
                + " |")
    }
    return lines
}

// MARK: 2. Diff

func diffBenchmark(scale: Scale, generated: Snapshot, generator: inout SnapshotGenerator) throws -> [String] {
    // The largest real pair: the two newest versions of the corpus's largest project history.
    let history = sharedDirectory.appendingPathComponent("corpus/history")
    var best: (URL, URL, Int)?
    for project in try FileManager.default.contentsOfDirectory(atPath: history.path) {
        let directory = history.appendingPathComponent(project)
        let files = try snapshotFiles(in: directory)
        guard files.count >= 2 else { continue }
        let last = directory.appendingPathComponent(files[files.count - 1])
        let size = (try? FileManager.default.attributesOfItem(atPath: last.path)[.size] as? Int) ?? 0
        if size > best?.2 ?? -1 { best = (directory.appendingPathComponent(files[files.count - 2]), last, size) }
    }
    guard let best else { throw BenchError("no history in \(history.path)") }
    let before = try SnapshotLoader.load(contentsOfFile: best.0.path).snapshot
    let after = try SnapshotLoader.load(contentsOfFile: best.1.path).snapshot
    let real = medianSeconds(runs: scale.runs * 40) {
        _ = SnapshotDiffer.diff(current: before, after: after)
    }
    let changed = generator.mutated(generated, changedPercent: 5, deletedPercent: 1, addedPercent: 1, tag: 1)
    var diffSize = 0
    let big = medianSeconds(runs: scale.runs) {
        let diff = SnapshotDiffer.diff(current: generated, after: changed)
        diffSize = diff.fields.count
    }
    return [
        "| Pair | Time (median) | Target |",
        "|---|---|---|",
        "| largest real pair (\(best.1.deletingLastPathComponent().lastPathComponent), \(best.0.lastPathComponent) → "
            + "\(best.1.lastPathComponent)) | \(String(format: "%.2f ms", real * 1000)) | < 3 ms: \(verdict(real < 0.003)) |",
        "| generated (\(generated.fields.count) fields; 5% changed, 1% deleted, 1% added: \(diffSize) field entries) | "
            + "\(String(format: "%.0f ms", big * 1000)) | < 250 ms: \(verdict(big < 0.25)) |",
    ]
}

// MARK: 3. Poll cycle

/// Starts `directus-promoter-bench emulator-child` serving `snapshot`; returns the process and its URL.
func startEmulatorChild(snapshot: Snapshot, token: String) throws -> (Process, String) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-emulator-\(UUID()).json")
    try Data(JSONWriter().bytes(snapshot.json)).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    process.arguments = ["emulator-child", file.path, token]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line: [UInt8] = []
    while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != 0x0A { line.append(byte) }
    return (process, String(decoding: line, as: UTF8.self))
}

func pollBenchmark(scale: Scale, generated: Snapshot) async throws -> [String] {
    var lines = [
        "The daemon's poll (`PromotionEngine`): `GET /schema/snapshot`, SHA-256 of the body; an identical body is the "
            + "stored snapshot again (an observation recorded by hash), any other body is parsed, hashed canonically, "
            + "deduplicated and recorded. Both are measured: a body seen before, and one not seen before whose "
            + "content is already stored (a restart, or a reformatted body).",
        "",
        "| Snapshot | Unchanged poll: wall | CPU (this process) | Target < 1 s CPU | New body, same content: wall | CPU |",
        "|---|---|---|---|---|---|",
    ]
    let corpus = try SnapshotLoader.load(contentsOfFile: largestCorpusFile().path).snapshot
    let http = DirectusHTTP.makeClient(connectTimeout: .seconds(5))
    for (label, snapshot) in [("largest corpus file", corpus), ("generated", generated)] {
        let token = "bench-\(UUID().uuidString)"
        let (emulator, url) = try startEmulatorChild(snapshot: snapshot, token: token)
        defer { emulator.terminate() }
        let client = DirectusClient(
            endpoint: DirectusEndpoint(url: url, authentication: .staticToken(Secret(token))), httpClient: http,
            logger: Logger(label: "bench"))
        let store = try Store.inMemory()
        try store.recordEnvironment(name: "development", url: url, directusVersion: nil, vendor: nil, at: Date())
        // The first poll stores the snapshot; the measured ones find it unchanged.
        let first = try await client.snapshot(unlessBodyHash: nil)
        guard case .document(let firstDocument, let bodyHash, _) = first else { preconditionFailure() }
        guard
            let content = try store.recordObservation(
                environment: "development", document: firstDocument, at: Date()
            ).snapshotHash
        else { preconditionFailure("a successful poll has a snapshot hash") }
        func measure(_ body: () async throws -> Void) async throws -> (wall: Double, cpu: Double) {
            var walls: [Double] = []
            var cpus: [Double] = []
            for _ in 0..<max(3, scale.runs) {
                let cpu = cpuSeconds()
                let start = ContinuousClock.now
                try await body()
                walls.append((ContinuousClock.now - start).seconds)
                cpus.append(cpuSeconds() - cpu)
            }
            return (walls.sorted()[walls.count / 2], cpus.sorted()[cpus.count / 2])
        }
        let unchanged = try await measure {
            guard case .unchanged = try await client.snapshot(unlessBodyHash: bodyHash) else { preconditionFailure() }
            let result = try store.recordObservation(environment: "development", storedSnapshot: content, at: Date())
            precondition(!result.changed)
        }
        let newBody = try await measure {
            guard case .document(let polled, _, _) = try await client.snapshot(unlessBodyHash: nil) else {
                preconditionFailure()
            }
            let result = try store.recordObservation(environment: "development", document: polled, at: Date())
            precondition(!result.changed)
        }
        func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
        lines.append(
            "| \(label) (\(megabytes(snapshot.canonicalJSON.count))) | \(ms(unchanged.wall)) | \(ms(unchanged.cpu)) | "
                + "\(verdict(unchanged.cpu < 1)) | \(ms(newBody.wall)) | \(ms(newBody.cpu)) |")
    }
    try await http.shutdown()
    return lines
}

// MARK: 4. Memory

/// Resident and peak resident memory of a process, and the part of the resident memory that is mapped files
/// (program code and libraries), from /proc, in bytes.
func memory(of pid: Int32) -> (rss: Int, peak: Int, files: Int) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func value(_ key: String) -> Int {
        let line = text.split(separator: "\n").first { $0.hasPrefix(key + ":") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
    return (value("VmRSS"), value("VmHWM"), value("RssFile"))
}

func memoryBenchmark(scale: Scale, generated: Snapshot) async throws -> [String] {
    var lines = [
        "| Daemon (three environments, polling every 0.5 s) | Resident | of which mapped code and libraries "
            + "| Peak | Target |",
        "|---|---|---|---|---|",
    ]
    for (label, snapshot, isIdle) in [
        ("idle, small schema", DemoSchema.initial, true), ("polling the generated snapshot", generated, false),
    ] {
        let token = "bench-\(UUID().uuidString)"
        var emulators: [Process] = []
        var urls: [String] = []
        for _ in 0..<3 {
            let (process, url) = try startEmulatorChild(snapshot: snapshot, token: token)
            emulators.append(process)
            urls.append(url)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-daemon-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config.yaml")
        try """
        poll: {interval: 500ms, jitter: 0}
        state_directory: \(directory.path)/state
        log: {level: error}
        environments:
          - {name: development, url: "\(urls[0])", token_env: BENCH_TOKEN}
          - {name: staging, url: "\(urls[1])", token_env: BENCH_TOKEN}
          - {name: production, url: "\(urls[2])", token_env: BENCH_TOKEN}
        """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        daemon.arguments = ["daemon-child", config.path]
        var environment = ProcessInfo.processInfo.environment
        environment["BENCH_TOKEN"] = token
        daemon.environment = environment
        daemon.standardError = FileHandle.nullDevice
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        try await Task.sleep(for: .milliseconds(Int(scale.settle * 1000)))
        let cpuBefore = (try? String(contentsOfFile: "/proc/\(daemon.processIdentifier)/stat", encoding: .utf8)) ?? ""
        try await Task.sleep(for: .seconds(1))
        let cpuAfter = (try? String(contentsOfFile: "/proc/\(daemon.processIdentifier)/stat", encoding: .utf8)) ?? ""
        let usage = memory(of: daemon.processIdentifier)
        daemon.terminate()
        daemon.waitUntilExit()
        emulators.forEach { $0.terminate() }
        try? FileManager.default.removeItem(at: directory)
        func ticks(_ stat: String) -> Int {
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        }
        let cpuShare = Double(ticks(cpuAfter) - ticks(cpuBefore)) / 100
        let size = snapshot.canonicalJSON.count
        let target =
            isIdle
            ? "RSS < 30 MB: \(verdict(usage.rss < 30_000_000)); CPU \(String(format: "%.0f%%", cpuShare * 100)) of a core"
            : "peak < 3 × \(megabytes(size)) + 30 MB: \(verdict(usage.peak < 3 * size + 30_000_000))"
        lines.append(
            "| \(label) | \(megabytes(usage.rss)) | \(megabytes(usage.files)) | \(megabytes(usage.peak)) | \(target) |")
    }
    return lines
}

// MARK: 5. History size

func historyBenchmark(scale: Scale, generated: Snapshot, generator: inout SnapshotGenerator) throws -> [String] {
    var lines = [
        "| History | Versions | Raw | Ours (stored blobs) | git gc --aggressive | Ours / git | Target ≤ 0.5 |",
        "|---|---|---|---|---|---|---|",
    ]
    var sequences: [(String, [Data])] = []
    let history = sharedDirectory.appendingPathComponent("corpus/history")
    for project in try FileManager.default.contentsOfDirectory(atPath: history.path).sorted() {
        let directory = history.appendingPathComponent(project)
        var files = try snapshotFiles(in: directory)
        if let limit = scale.historyVersions { files = Array(files.prefix(limit)) }
        sequences.append((project, try files.map { try Data(contentsOf: directory.appendingPathComponent($0)) }))
        if scale.historyVersions != nil { break }
    }
    var historyGenerator = SnapshotGenerator(
        collections: scale.historyCollections, fieldsPerCollection: scale.fieldsPerCollection,
        relations: scale.historyCollections * 5 / 2)
    var current = historyGenerator.snapshot()
    let historySnapshot = current
    var versions: [Data] = [Data(JSONWriter(layout: .indented("  ")).bytes(current.json))]
    for tag in 1..<scale.generatedRevisions {
        current = historyGenerator.nextRevision(current, tag: tag)
        versions.append(Data(JSONWriter(layout: .indented("  ")).bytes(current.json)))
    }
    sequences.append(("generated (\(historySnapshot.fields.count) fields, small edits)", versions))

    for (name, versions) in sequences {
        let store = try Store.inMemory()
        try store.recordEnvironment(
            name: "development", url: "http://dev", directusVersion: nil, vendor: nil, at: Date())
        var unreadable = 0
        for (index, data) in versions.enumerated() {
            // A committed version that is not valid (a merge conflict, a broken edit) is kept by git but cannot
            // be a snapshot; it is counted in git's figure and left out of ours.
            guard let snapshot = try? SnapshotLoader.load(bytes: Array(data), source: "version \(index)").snapshot
            else {
                unreadable += 1
                continue
            }
            _ = try store.recordObservation(
                environment: "development", snapshot: snapshot, at: Date(timeIntervalSince1970: Double(index)))
        }
        let ours = try store.snapshotStorage().storedBytes
        let raw = versions.reduce(0) { $0 + $1.count }
        let git = try gitPackedSize(versions)
        let ratio = git.map { Double(ours) / Double($0) }
        lines.append(
            "| \(name) | \(versions.count)\(unreadable > 0 ? " (\(unreadable) not valid YAML)" : "") | \(megabytes(raw)) | \(kilobytes(ours)) | "
                + (git.map(kilobytes) ?? "git unavailable") + " | " + (ratio.map { String(format: "%.2f", $0) } ?? "—")
                + " | " + (ratio.map { verdict($0 <= 0.5) } ?? "—") + " |")
    }
    return lines
}

/// The packed size of a git repository holding `versions` as successive commits of one file.
func gitPackedSize(_ versions: [Data]) throws -> Int? {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/git") else { return nil }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-git-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let git = "/usr/bin/git"
    try run(git, ["init", "-q"], in: directory)
    for (index, data) in versions.enumerated() {
        try data.write(to: URL(fileURLWithPath: directory + "/snapshot.yaml"))
        try run(git, ["add", "snapshot.yaml"], in: directory)
        try run(
            git,
            ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "v\(index)"],
            in: directory)
    }
    try run(git, ["gc", "-q", "--aggressive", "--prune=now"], in: directory)
    let pack = directory + "/.git/objects/pack"
    let files = (try? FileManager.default.contentsOfDirectory(atPath: pack)) ?? []
    return files.filter { $0.hasSuffix(".pack") }.reduce(0) { total, name in
        total + ((try? FileManager.default.attributesOfItem(atPath: pack + "/" + name)[.size] as? Int) ?? 0)
    }
}

// MARK: Children

/// `emulator-child FILE TOKEN`: serves FILE on a free loopback port, prints the URL, runs until killed.
func emulatorChild(file: String, token: String) async throws {
    let snapshot = try SnapshotLoader.load(contentsOfFile: file).snapshot
    let instance = try EmulatedInstance(
        configuration: .withAdminToken(
            token, version: snapshot.directus ?? "11.17.4", vendor: snapshot.vendor ?? "postgres"),
        snapshot: snapshot)
    try await EmulatorServer(instance: instance, port: 0).run { url in
        FileHandle.standardOutput.write(Data((url + "\n").utf8))
    }
}

/// `daemon-child CONFIG`: the daemon's services, built exactly as `run` builds them, until SIGTERM.
func daemonChild(config: String) async throws {
    let (configuration, _) = try ConfigurationReader.load(path: config)
    let store = try Store.open(path: configuration.databasePath)
    let http = DirectusHTTP.makeClient(connectTimeout: .seconds(5))
    let daemon = try DaemonApp.build(
        configurationPath: config, configuration: configuration, store: store, http: http,
        logger: Logger(label: "bench-daemon"))
    try? await daemon.group.run()
    try? await http.shutdown()
}
