import DirectusSchema
import Testing

/// A small deterministic generator (SplitMix64), so every failure can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random but realistic snapshots: collections with meta, fields with schema and meta, relations.
enum RandomSnapshots {
    static let words = ["articles", "authors", "tags", "pages", "events", "users_x", "Éclair", "日本", "10", "2", "a b"]

    static func scalar(_ rng: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(JSONNumber(Int.random(in: -1000...100_000, using: &rng)))
        case 3: return .number(JSONNumber(Double(Int.random(in: 0...10_000, using: &rng)) / 8))
        case 4: return .string(words.randomElement(using: &rng)!)
        case 5:
            return .array(
                (0..<Int.random(in: 0...3, using: &rng)).map { _ in .string(words.randomElement(using: &rng)!) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                object[words.randomElement(using: &rng)!] = .number(JSONNumber(Int.random(in: 0...9, using: &rng)))
            }
            return .object(object)
        }
    }

    static func snapshot(seed: UInt64) -> Snapshot {
        var rng = SeededGenerator(seed: seed)
        var snapshot = Snapshot(
            directus: "11.17.4", vendor: ["postgres", "mysql", "sqlite"].randomElement(using: &rng))
        let names = (0..<Int.random(in: 1...6, using: &rng)).map { "c\($0)_\(words.randomElement(using: &rng)!)" }
        var collections: [JSONValue] = []
        var fields: [JSONValue] = []
        var relations: [JSONValue] = []
        for name in names {
            var meta = JSONObject()
            for key in ["accountability", "collapse", "hidden", "icon", "note", "sort", "translations", "group"] {
                meta[key] = scalar(&rng)
            }
            collections.append(["collection": .string(name), "meta": .object(meta), "schema": ["name": .string(name)]])
            for index in 0..<Int.random(in: 1...5, using: &rng) {
                let field = "f\(index)"
                var fieldMeta = JSONObject()
                for key in ["interface", "options", "special", "width", "required", "sort", "validation"] {
                    fieldMeta[key] = scalar(&rng)
                }
                var schema = JSONObject()
                for key in ["data_type", "default_value", "max_length", "is_nullable", "is_unique", "is_primary_key"] {
                    schema[key] = scalar(&rng)
                }
                fields.append([
                    "collection": .string(name), "field": .string(field),
                    "type": .string(["string", "integer", "uuid", "alias", "json"].randomElement(using: &rng)!),
                    "meta": .object(fieldMeta), "schema": .object(schema),
                ])
                if Bool.random(using: &rng), let target = names.randomElement(using: &rng) {
                    relations.append([
                        "collection": .string(name), "field": .string(field), "related_collection": .string(target),
                        "meta": ["one_field": scalar(&rng), "sort_field": scalar(&rng)],
                        "schema": ["on_delete": "SET NULL", "constraint_name": .string("\(name)_\(field)_fk")],
                    ])
                }
            }
        }
        snapshot.collections = collections
        snapshot.fields = fields
        snapshot.relations = relations
        snapshot.systemFields = [
            ["collection": "directus_activity", "field": "timestamp", "schema": ["is_indexed": true]]
        ]
        return snapshot
    }

    /// The same value with every object's keys in a random order (written as text, so no JavaScript
    /// reordering of index-like keys happens before the parser sees it).
    static func shuffledText(_ value: JSONValue, _ rng: inout SeededGenerator) -> String {
        switch value {
        case .object(let object):
            let members = object.shuffled(using: &rng).map { entry in
                JSONValue.string(entry.key).jsonString + ":" + shuffledText(entry.value, &rng)
            }
            return "{" + members.joined(separator: ",") + "}"
        case .array(let array):
            return "[" + array.map { shuffledText($0, &rng) }.joined(separator: ",") + "]"
        default:
            return value.jsonString
        }
    }
}

@Suite("Properties over seeded random snapshots")
struct PropertyTests {
    static let seeds: [UInt64] = Array(1...200)

    @Test("a large diff made on all cores is the one a single thread makes, in the same order")
    func parallelDiffIsSequentialDiff() {
        // Thousands of fields with repeated identities (first match wins) and every kind of change.
        func merged(_ seeds: ClosedRange<UInt64>) -> Snapshot {
            var snapshot = RandomSnapshots.snapshot(seed: seeds.lowerBound)
            for seed in seeds.dropFirst() {
                let more = RandomSnapshots.snapshot(seed: seed)
                snapshot.collections += more.collections
                snapshot.fields += more.fields
                snapshot.relations += more.relations
            }
            return snapshot
        }
        let current = merged(1...900)
        let after = merged(300...1300)
        #expect(current.fields.count > 4000 && after.fields.count > 4000)
        let parallel = SnapshotDiffer.diff(current: current, after: after)
        let sequential = SnapshotDiffer.diff(current: current, after: after, parallel: false)
        #expect(!sequential.fields.isEmpty)
        #expect(parallel == sequential)
    }

    @Test("diff(a, a) is empty", arguments: seeds)
    func selfDiffIsEmpty(seed: UInt64) {
        let snapshot = RandomSnapshots.snapshot(seed: seed)
        #expect(SnapshotDiffer.diff(current: snapshot, after: snapshot).isEmpty)
    }

    @Test("key order never changes the content hash", arguments: seeds)
    func keyOrderKeepsHash(seed: UInt64) throws {
        let snapshot = RandomSnapshots.snapshot(seed: seed)
        var rng = SeededGenerator(seed: seed &* 31)
        let text = RandomSnapshots.shuffledText(snapshot.json, &rng)
        let reparsed = Snapshot(root: try #require(try JSONParser.parse(text).objectValue))
        #expect(reparsed.contentHash == snapshot.contentHash)
        #expect(SnapshotDiffer.diff(current: snapshot, after: reparsed).isEmpty)
    }

    @Test("any content change changes the content hash", arguments: seeds)
    func changeChangesHash(seed: UInt64) throws {
        let snapshot = RandomSnapshots.snapshot(seed: seed)
        var changed = snapshot
        var fields = changed.fields
        let index = Int(seed) % fields.count
        guard case .object(var field) = fields[index], case .object(var meta)? = field["meta"] else {
            Issue.record("generated field has no meta")
            return
        }
        meta["note"] = .string("changed \(seed)")
        field["meta"] = .object(meta)
        fields[index] = .object(field)
        changed.fields = fields
        #expect(changed.contentHash != snapshot.contentHash)
        #expect(!SnapshotDiffer.diff(current: snapshot, after: changed).isEmpty)
    }

    @Test("JSON text round-trips", arguments: seeds)
    func jsonRoundTrip(seed: UInt64) throws {
        let snapshot = RandomSnapshots.snapshot(seed: seed)
        let compact = snapshot.json.jsonString
        #expect(try JSONParser.parse(compact).jsonString == compact)
        let pretty = JSONWriter(layout: .indented("  ")).string(snapshot.json)
        #expect(try JSONParser.parse(pretty).jsonString == compact)
    }
}
