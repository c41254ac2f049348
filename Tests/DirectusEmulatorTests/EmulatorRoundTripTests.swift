import DirectusEmulator
import DirectusSchema
import Foundation
import TestSupport
import Testing

/// Promotion between two emulators, over HTTP, for every real before/after pair of the corpus (PAIRS.tsv):
/// export the source, diff it on the target (with force across versions), apply with the hash, diff again.
@Suite("Two-emulator round trip over real pairs", .serialized)
struct EmulatorRoundTripTests {
    struct Pair: Sendable, CustomStringConvertible {
        var from: String
        var to: String
        var description: String { "\(from) -> \(to)" }
    }

    static let pairs: [Pair] = {
        guard let text = try? String(contentsOf: Shared.corpus.appendingPathComponent("PAIRS.tsv"), encoding: .utf8)
        else {
            return []
        }
        return text.split(separator: "\n").dropFirst().map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Pair(from: columns[0], to: columns[1])
        }
    }()

    enum Outcome: Sendable, Equatable {
        case converged
        /// Directus cannot converge either, for the reasons named.
        case explained
        /// The emulator refuses the versions (no schema API before 9.23).
        case notServed
    }

    static func load(_ file: String) throws -> Snapshot {
        try SnapshotLoader.load(contentsOfFile: Shared.corpus.appendingPathComponent(file).path).snapshot
    }

    /// An emulator behaving as the release that wrote `snapshot`.
    static func instance(for snapshot: Snapshot) throws -> EmulatedInstance {
        let version = ProductVersionResolver.resolve(snapshot).version?.description ?? "11.17.4"
        let vendor = snapshot.inferredVendor ?? "postgres"
        return try EmulatedInstance(
            configuration: .withAdminToken(Raw.adminToken, version: version, vendor: vendor), snapshot: snapshot)
    }

    static func run(_ pair: Pair) async throws -> Outcome {
        let before = try load(pair.from)
        let after = try load(pair.to)
        let source = try instance(for: after)
        let target = try instance(for: before)
        let targetVersion = ProductVersionResolver.resolve(before).version ?? DirectusVersion(11, 17, 4)
        let sourceVersion = ProductVersionResolver.resolve(after).version ?? DirectusVersion(11, 17, 4)
        if min(targetVersion, sourceVersion) < DirectusVersion(9, 23, 0) { return .notServed }
        return try await withEmulator(source) { sourceURL in
            try await withEmulator(target) { targetURL in
                let exported = try await Raw.send(.GET, sourceURL + "/schema/snapshot")
                var upload = try #require(exported.json?["data"]?.objectValue)
                // A snapshot with systemFields is refused by targets before 11.13, even with force.
                if !targetVersion.hasSystemFields { upload.removeValue(forKey: "systemFields") }
                let force = sourceVersion != targetVersion || before.vendor != after.vendor ? "?force=true" : ""
                let diff = try await Raw.postSnapshot(targetURL + "/schema/diff" + force, .object(upload))
                #expect(
                    diff.status == 200 || diff.status == 204, "\(pair): diff \(diff.status) \(diff.errorMessage ?? "")")
                if diff.status == 204 { return .converged }
                let data = try #require(diff.json?["data"])
                let plannedDiff = try SnapshotDiff(json: try #require(data["diff"]))
                let targetSnapshot = await target.schema()
                let limitations = ApplyLimitations.of(plannedDiff, current: targetSnapshot)
                let inconsistencies =
                    SnapshotConsistency.problems(in: Snapshot(root: upload))
                    + SnapshotConsistency.problems(in: targetSnapshot)
                let apply = try await Raw.postSnapshot(targetURL + "/schema/apply", data)
                if apply.status != 204 {
                    #expect(
                        !limitations.isEmpty || !inconsistencies.isEmpty,
                        "\(pair): apply refused: \(apply.errorMessage ?? "")")
                    return .explained
                }
                let again = try await Raw.postSnapshot(targetURL + "/schema/diff" + force, .object(upload))
                if again.status == 204 { return .converged }
                #expect(
                    !limitations.isEmpty || !inconsistencies.isEmpty, "\(pair): left over: \(again.text.prefix(800))")
                return .explained
            }
        }
    }

    @Test("every real pair converges, or Directus could not converge either")
    func roundTrip() async throws {
        #expect(Self.pairs.count == 59)
        var counts: [Outcome: Int] = [:]
        for pair in Self.pairs {
            counts[try await Self.run(pair), default: 0] += 1
        }
        // Today 41 converge, 8 hit a named Directus limitation (mostly metadata keys one version has and the
        // other lacks), 10 involve a 9.x release before 9.23, which has no schema API. Fewer converging pairs
        // means a regression.
        #expect(counts[.converged, default: 0] >= 41, "\(counts)")
        #expect(counts[.notServed, default: 0] <= 10, "\(counts)")
    }
}

extension EmulatorRoundTripTests.Outcome: Hashable {}
