import Foundation
import PromotionStore
import TestSupport
import Testing

/// The helper process (`store-stress`) beside the test bundle.
enum StressProcess {
    static var executable: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("store-stress")
    }

    /// Starts a helper; its standard output is collected in a file the caller reads afterwards.
    static func start(_ arguments: [String], output: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: output.appendingPathExtension("err").path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output.appendingPathExtension("err"))
        try process.run()
        return process
    }

    static func lines(_ url: URL) -> [String] {
        (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    static func errors(_ url: URL) -> String {
        (try? String(contentsOf: url.appendingPathExtension("err"), encoding: .utf8)) ?? ""
    }
}

@Suite("Store across processes", .serialized)
struct StoreProcessTests {
    @Test("a daemon-like writer and CLI-like deciders in separate processes lose no write and see no lock error")
    func concurrentProcesses() async throws {
        let path = temporaryDatabasePath()
        _ = try Store.open(path: path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var processes: [(Process, URL)] = []
        for (mode, name) in [
            ("writer", "daemon"), ("writer", "second-writer"), ("decider", "alice"), ("decider", "bob"),
        ] {
            let output = directory.appendingPathComponent(name)
            processes.append((try StressProcess.start([mode, path, name, "4"], output: output), output))
        }
        let started = processes.map(\.0)
        try await offThePool { for process in started { process.waitUntilExit() } }
        for (process, output) in processes {
            #expect(process.terminationStatus == 0, "\(output.lastPathComponent): \(StressProcess.errors(output))")
            #expect(!StressProcess.errors(output).contains("locked"))
        }
        let store = try Store.open(path: path)
        #expect(try store.integrityCheck() == "ok")
        // Every promotion a writer reported as applied is applied, with both of its events.
        var applied = Set<Int64>()
        var decided = 0
        for (_, output) in processes {
            for line in StressProcess.lines(output) {
                let parts = line.split(separator: " ")
                if parts.first == "committed", parts.count == 3, parts[2] == "applied", let id = Int64(parts[1]) {
                    applied.insert(id)
                }
                if parts.first == "decided" { decided += 1 }
            }
        }
        #expect(applied.count > 20, "the writers made progress: \(applied.count)")
        #expect(decided > 20, "the deciders made progress: \(decided)")
        for id in applied {
            #expect(try store.promotion(id: id)?.state == .applied)
            #expect(try store.events(promotionID: id).filter { $0.kind.hasPrefix("promotion.") }.count == 2)
        }
        let decisionEvents = try store.recentEvents(limit: 1_000_000, kind: "decision.approve").count
        #expect(decisionEvents == decided)
    }

    @Test("processes opening a new database at the same moment migrate it once")
    func concurrentFirstOpen() async throws {
        for _ in 0..<3 {
            let path = temporaryDatabasePath()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("first-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var processes: [(Process, URL)] = []
            for index in 0..<4 {
                let output = directory.appendingPathComponent("writer-\(index)")
                processes.append((try StressProcess.start(["writer", path, "w\(index)", "1"], output: output), output))
            }
            let started = processes.map(\.0)
            try await offThePool { for process in started { process.waitUntilExit() } }
            for (process, output) in processes {
                #expect(process.terminationStatus == 0, "\(StressProcess.errors(output))")
            }
            #expect(try Store.open(path: path).appliedMigrations().count == 8)
        }
    }

    @Test("SIGKILL in the middle of writes, many times: the file stays sound and every commit is there")
    func crashSafety() async throws {
        let path = temporaryDatabasePath()
        _ = try Store.open(path: path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        var committed: [Int64: String] = [:]
        for round in 0..<25 {
            let output = directory.appendingPathComponent("round-\(round)")
            let process = try StressProcess.start(["looper", path, "looper-\(round)"], output: output)
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...250, using: &generator)))
            kill(process.processIdentifier, SIGKILL)
            try await offThePool { process.waitUntilExit() }
            #expect(process.terminationReason == .uncaughtSignal)
            for line in StressProcess.lines(output) {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "committed", let id = Int64(parts[1]) else { continue }
                committed[id] = String(parts[2])
            }
        }
        let store = try Store.open(path: path)
        #expect(try store.integrityCheck() == "ok")
        #expect(committed.count > 25)
        for (id, state) in committed {
            let promotion = try #require(try store.promotion(id: id), "promotion \(id) was reported committed")
            if state == "applied" { #expect(promotion.state == .applied) }
        }
        // No half-written transition: a promotion's state and its events always agree.
        for promotion in try store.history(limit: 1_000_000) {
            let kinds = try store.events(promotionID: promotion.id).map(\.kind)
            switch promotion.state {
            case .planning: #expect(kinds == ["promotion.created"])
            case .applied:
                #expect(kinds == ["promotion.created", "promotion.applied"])
                #expect(promotion.attempts == 1)
            default: Issue.record("unexpected state \(promotion.state)")
            }
        }
    }
}
