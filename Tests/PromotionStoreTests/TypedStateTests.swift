import Foundation
import PromotionCore
import PromotionStore
import TestSupport
import Testing

/// Promotion states are the machine's type from the row to the screen: every state round-trips, the database
/// refuses any other, and a row that holds one anyway is reported as damage, never read as something else.
@Suite("Typed promotion states")
struct TypedStateTests {
    /// Runs sqlite3 on `path` with `sql`; returns its status and stderr.
    func sqlite(_ path: String, _ sql: String) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return try await offThePool {
            process.waitUntilExit()
            return (
                process.terminationStatus,
                String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }
    }

    @Test("every state of the machine is stored and read back as itself")
    func roundTrip() throws {
        let store = try Store.inMemory()
        let revision = try seededStore(store)
        for (index, state) in PromotionState.allCases.enumerated() {
            let later = try store.recordRevision(
                environment: "development", snapshotHash: revision.snapshotHash,
                at: t0.addingTimeInterval(Double(index)))
            let created = try store.createPromotion(
                revisionID: later.id, target: "staging", state: state, diffID: nil, actor: "test", message: "m", at: t0)
            #expect(try store.promotion(id: created.id)?.state == state)
        }
        #expect(try store.promotions(inStates: PromotionState.open).count == PromotionState.open.count)
        #expect(try store.promotionCounts().count == PromotionState.allCases.count)
    }

    @Test("the database refuses an unknown state; one slipped in is damage, reported loudly")
    func unknownState() async throws {
        let path = temporaryDatabasePath()
        let store = try Store.open(path: path)
        let revision = try seededStore(store)
        let promotion = try store.createPromotion(
            revisionID: revision.id, target: "production", state: .queued, diffID: nil, actor: "test", message: "m",
            at: t0)
        let (refused, message) = try await sqlite(path, "UPDATE promotion SET state = 'exploded';")
        #expect(refused != 0)
        #expect(message.contains("CHECK constraint failed"), "\(message)")
        #expect(try store.promotion(id: promotion.id)?.state == .queued)

        // Past the check (a file edited by hand, a restore from an older tool): never silently another state.
        let (status, _) = try await sqlite(
            path, "PRAGMA ignore_check_constraints = 1; UPDATE promotion SET state = 'exploded';")
        #expect(status == 0)
        let reads: [(String, () throws -> Void)] = [
            ("promotion(id:)", { _ = try store.promotion(id: promotion.id) }),
            ("promotions(inStates:)", { _ = try store.promotionsInFlight(finalStates: []) }),
            ("history", { _ = try store.history(limit: 10) }),
            ("promotionCounts", { _ = try store.promotionCounts() }),
        ]
        for (name, read) in reads {
            #expect(
                "\(name)", performing: { try read() },
                throws: { error in (error as? StoreError)?.isCorruption == true })
        }
    }

    @Test("no promotion state is a String outside the store's row mapping")
    func noStringStates() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let patterns = [
            #"state: String"#, #"states: Set<String>"#, #"Set<String> = \["(queued|planning|awaiting_approval)"#,
            #"\.state == ""#, #"\.state != ""#, #"inStates: \[""#, #"State\(rawValue:[^)]*\) \?\?"#,
            #"Kind\(rawValue:[^)]*\) \?\?"#,
        ].map { try! NSRegularExpression(pattern: $0) }
        var offenders: [String] = []
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(line)
                let range = NSRange(line.startIndex..., in: line)
                if patterns.contains(where: { $0.firstMatch(in: line, range: range) != nil }) {
                    offenders.append("\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(!files.isEmpty)
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }
}
