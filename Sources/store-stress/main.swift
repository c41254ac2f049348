import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

// A helper process for the store's tests: writes to a state database as the daemon or a CLI command would, and
// prints one line per committed transaction, so that the test can check afterwards that nothing committed was lost.
//
//   store-stress writer PATH NAME SECONDS   promotions and transitions for SECONDS, printing "committed ID STATE"
//   store-stress decider PATH NAME SECONDS  decisions on existing promotions, printing "decided ID"
//   store-stress looper PATH NAME           write transactions until killed, printing "committed ID STATE"

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: store-stress writer|decider|looper PATH NAME [SECONDS]\n".utf8))
    exit(2)
}
let mode = arguments[1]
let path = arguments[2]
let name = arguments[3]
let seconds = arguments.count > 4 ? Double(arguments[4]) ?? 2 : 2
/// Writes a line straight to the file descriptor, so it is out before the next transaction starts.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

do {
    let store = try Store.open(path: path)
    let now = { Date() }
    try store.recordEnvironment(
        name: "development", url: "http://dev", directusVersion: "11.17.4", vendor: "postgres", at: now())
    try store.recordEnvironment(
        name: "production", url: "http://prod", directusVersion: "11.17.4", vendor: "postgres", at: now())
    let deadline = Date().addingTimeInterval(seconds)
    var serial = 0
    switch mode {
    case "writer", "looper":
        while mode == "looper" || Date() < deadline {
            serial += 1
            var snapshot = Snapshot(directus: "11.17.4", vendor: "postgres")
            snapshot.collections = [
                [
                    "collection": .string("\(name)_\(serial)"), "meta": nil,
                    "schema": ["name": .string("\(name)_\(serial)")],
                ]
            ]
            let hash = try store.recordSnapshot(snapshot, at: now())
            let revision = try store.recordRevision(environment: "development", snapshotHash: hash, at: now())
            let promotion = try store.createPromotion(
                revisionID: revision.id, target: "production", state: .planning, diffID: nil, actor: name,
                message: "planned by \(name)", at: now())
            say("committed \(promotion.id) planned")
            try store.applyTransition(
                promotionID: promotion.id, from: .planning, to: .applied, changes: .init(attemptsDelta: 1),
                actor: name,
                message: "applied by \(name)", at: now())
            say("committed \(promotion.id) applied")
        }
    case "decider":
        while Date() < deadline {
            guard let promotion = try store.history(limit: 1).first else { continue }
            try store.recordDecision(
                promotionID: promotion.id, kind: .approve, actor: name, comment: "by \(name)", at: now())
            serial += 1
            say("decided \(promotion.id)")
        }
    default:
        FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("store-stress \(name): \(error)\n".utf8))
    exit(1)
}
