import DirectusClient
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

// Benchmarks, printed with the machine they ran on. Build in release mode:
//   swift run -c release directus-promoter-bench store [--write docs/benchmarks.md]

struct Machine {
    static var description: String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        #if DEBUG
        let build = "debug build (figures not representative)"
        #else
        let build = "Swift release build"
        #endif
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) GiB, \(build)"
    }
}

/// The median of `runs` timings of `body`, in milliseconds.
func measure(runs: Int = 25, _ body: () throws -> Void) rethrows -> Double {
    var timings: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        timings.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    }
    return timings.sorted()[timings.count / 2]
}

func format(_ milliseconds: Double) -> String { String(format: "%.2f ms", milliseconds) }

func storeBenchmark() throws -> [String] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
    let path = directory.appendingPathComponent("state.sqlite").path
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try Store.open(path: path)
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    for name in ["development", "staging", "production"] {
        try store.recordEnvironment(
            name: name, url: "https://\(name).example.com", directusVersion: "11.17.4", vendor: "postgres", at: t0)
    }
    let hash = try store.recordSnapshot(Snapshot(directus: "11.17.4", vendor: "postgres"), at: t0)
    // Finished promotions (a failed one is still in flight: it waits for a retry or is superseded).
    let states: [PromotionState] = [
        .applied, .applied, .applied, .applied, .rejected, .superseded, .cancelled, .applied,
    ]
    let fillStart = ContinuousClock.now
    // 100,000 promotions, 10 events each: 1,000,000 events, in batches of 5,000 promotions.
    for batch in 0..<20 {
        var promotions: [HistoryImport.Promotion] = []
        for index in 0..<5000 {
            let n = batch * 5000 + index
            let created = t0.addingTimeInterval(Double(n) * 600)
            let target = n % 2 == 0 ? "staging" : "production"
            let events = (0..<10).map { step in
                (
                    kind: "promotion.step\(step)", actor: step == 3 ? "alice" : "daemon",
                    message: "step \(step) of promotion \(n)",
                    at: created.addingTimeInterval(Double(step))
                )
            }
            promotions.append(
                .init(
                    target: target, state: states[n % states.count], attempts: 1, createdAt: created,
                    updatedAt: created.addingTimeInterval(10), events: events))
        }
        try store.importHistory(
            HistoryImport(sourceEnvironment: "development", snapshotHash: hash, promotions: promotions))
    }
    let fill = ContinuousClock.now - fillStart
    // A few in flight, as status shows them.
    for (offset, state) in [PromotionState.awaitingApproval, .applying, .planning].enumerated() {
        let revision = try store.recordRevision(
            environment: "development", snapshotHash: hash, at: t0.addingTimeInterval(1e8 + Double(offset)))
        _ = try store.createPromotion(
            revisionID: revision.id, target: "production", state: state, diffID: nil, actor: "daemon",
            message: state.rawValue,
            at: t0.addingTimeInterval(1e8))
    }
    let finals = Set(PromotionState.allCases.filter(\.isFinal))
    let active = PromotionState.open
    let status = try measure {
        _ = try store.promotions(inStates: active)
        _ = try store.history(limit: 10)
        _ = try store.promotionCounts()
    }
    let inFlight = try measure { _ = try store.promotions(inStates: active) }
    let inFlightScan = try measure { _ = try store.promotionsInFlight(finalStates: finals) }
    let historyLatest = try measure { _ = try store.history(limit: 50) }
    let historyTarget = try measure { _ = try store.history(limit: 50, target: "production") }
    let historySince = try measure { _ = try store.history(limit: 1000, since: t0.addingTimeInterval(99_000 * 600)) }
    let events = try measure { _ = try store.events(promotionID: 54_321) }
    let counts = try measure(runs: 5) { _ = try store.promotionCounts() }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    return [
        "Store: 100,000 promotions and \(try store.eventCount()) events (filled in "
            + String(format: "%.1f s", fill.seconds)
            + "), database \(size / (1 << 20)) MiB.",
        "",
        "| Query | Median of 25 |",
        "|---|---|",
        "| `status` (in flight + latest 10 + counts by state) | \(format(status)) |",
        "| promotions in flight (by active state, indexed) | \(format(inFlight)) |",
        "| promotions in flight (not in a final state, a scan) | \(format(inFlightScan)) |",
        "| `history --limit 50` | \(format(historyLatest)) |",
        "| `history --env production --limit 50` | \(format(historyTarget)) |",
        "| `history --since` (last 1,000) | \(format(historySince)) |",
        "| `show ID` events of one promotion | \(format(events)) |",
        "| counts by state (full scan, median of 5) | \(format(counts)) |",
    ]
}

let arguments = Array(CommandLine.arguments.dropFirst())

// Child processes the benchmarks start: an emulator, and the daemon's service exactly as `run` runs it.
if arguments.first == "emulator-child", arguments.count == 3 {
    try await emulatorChild(file: arguments[1], token: arguments[2])
    exit(0)
}
if arguments.first == "train-dictionary", arguments.count == 2 {
    try trainDictionary(output: arguments[1])
    exit(0)
}
if arguments.first == "daemon-child", arguments.count == 2 {
    try await daemonChild(config: arguments[1])
    exit(0)
}

let writeTarget = arguments.firstIndex(of: "--write").flatMap {
    arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil
}
let smoke = arguments.contains("--smoke")
let scale = smoke ? Scale.smoke : Scale.full
let which = arguments.first { !$0.hasPrefix("--") && $0 != writeTarget } ?? "all"
let sections = ["parse", "diff", "poll", "memory", "history", "store"]
guard which == "all" || sections.contains(which) else {
    FileHandle.standardError.write(
        Data(
            "unknown benchmark \(which); available: all, \(sections.joined(separator: ", ")) [--smoke] [--write FILE]\n"
                .utf8))
    exit(2)
}
let chosen = which == "all" ? (smoke ? sections.filter { $0 != "store" } : sections) : [which]
var generator = SnapshotGenerator(
    collections: scale.collections, fieldsPerCollection: scale.fieldsPerCollection, relations: scale.relations)
let generated = generator.snapshot()
let titles = [
    "parse": "Parse and hash", "diff": "Diff", "poll": "Unchanged poll cycle", "memory": "Memory",
    "history": "History size", "store": "Store queries",
]
var report: [(title: String, lines: [String])] = []
/// Unbuffered, so that a figure is out even if a later section fails.
func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
say("Machine: \(Machine.description)\(smoke ? " (smoke run: small sizes)" : "")")
say(
    "Generated snapshot: \(generated.collections.count) collections, \(generated.fields.count) fields, "
        + "\(generated.relations.count) relations, \(megabytes(generated.canonicalJSON.count))\n")
for section in chosen {
    let lines: [String]
    do {
        switch section {
        case "parse": lines = try parseBenchmark(scale: scale, generated: generated)
        case "diff": lines = try diffBenchmark(scale: scale, generated: generated, generator: &generator)
        case "poll": lines = try await pollBenchmark(scale: scale, generated: generated)
        case "memory": lines = try await memoryBenchmark(scale: scale, generated: generated)
        case "history": lines = try historyBenchmark(scale: scale, generated: generated, generator: &generator)
        default: lines = try storeBenchmark()
        }
    } catch {
        FileHandle.standardError.write(Data("benchmark \(section) failed: \(error)\n".utf8))
        exit(1)
    }
    say("## \(titles[section]!)\n\n" + lines.joined(separator: "\n") + "\n")
    report.append((titles[section]!, lines))
}

if let writeTarget {
    var document = (try? String(contentsOfFile: writeTarget, encoding: .utf8)) ?? "# Benchmarks\n\n"
    for (title, lines) in report {
        let section =
            "## \(title)\n\nMachine: \(Machine.description)\nRun: \(Date())\n\n" + lines.joined(separator: "\n") + "\n"
        if let range = document.range(of: "## \(title)\n") {
            let end = document[range.upperBound...].range(of: "\n## ")?.lowerBound ?? document.endIndex
            document.replaceSubrange(range.lowerBound..<end, with: section)
        } else {
            document += "\n" + section
        }
    }
    try document.write(toFile: writeTarget, atomically: true, encoding: .utf8)
}
