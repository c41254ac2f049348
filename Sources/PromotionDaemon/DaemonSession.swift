import AsyncHTTPClient
import DirectusClient
import Foundation
import PromotionStore

/// What `run` and `poll` need before anything runs, checked in order: every secret the configuration names is
/// readable, the state directory's lock is free, the state database opens and passes `PRAGMA quick_check`. Each
/// refusal says what to do and carries the exit status a service manager understands (sysexits).
public struct DaemonSession: Sendable {
    public let lock: InstanceLock
    public let store: Store
    public let http: HTTPClient

    /// Why a session cannot start.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable {
            /// A secret cannot be read (EX_CONFIG, 78).
            case configuration
            /// Another daemon holds the state directory (EX_TEMPFAIL, 75).
            case locked
            /// The state directory cannot be created (EX_CANTCREAT, 73).
            case cannotCreate
            /// The state directory, its lock or its database cannot be opened (EX_IOERR, 74).
            case io
            /// The state database is damaged (EX_DATAERR, 65).
            case damaged
        }

        public var kind: Kind
        public var description: String
    }

    /// Checks and opens, in order; the first refusal stops it.
    public static func open(_ configuration: DaemonConfiguration) throws(Refusal) -> DaemonSession {
        let secretProblems = configuration.secretProblems()
        guard secretProblems.isEmpty else {
            throw Refusal(kind: .configuration, description: secretProblems.joined(separator: "\n"))
        }
        let lock: InstanceLock
        do {
            lock = try InstanceLock(directory: configuration.stateDirectory)
        } catch let held as InstanceLock.Held {
            throw Refusal(kind: .locked, description: "\(held)")
        } catch let failure as InstanceLock.Failure {
            throw Refusal(kind: failure.kind == .cannotCreate ? .cannotCreate : .io, description: "\(failure)")
        } catch {
            throw Refusal(kind: .io, description: "\(error)")
        }
        let store: Store
        do {
            store = try Store.open(path: configuration.databasePath)
        } catch let error where error.isCorruption {
            throw damaged(configuration.databasePath, sqlite: error.description)
        } catch {
            throw Refusal(kind: .io, description: "cannot open the state database: \(error)")
        }
        try check(store, path: configuration.databasePath) { try $0.quickCheck() }
        return DaemonSession(
            lock: lock, store: store, http: DirectusHTTP.makeClient(connectTimeout: configuration.connectTimeout))
    }

    /// Refuses a store that fails `check` (a quick or a full integrity check).
    public static func check(_ store: Store, path: String, _ check: (Store) throws -> String) throws(Refusal) {
        let result: String
        do {
            result = try check(store)
        } catch {
            result = "\(error)"
        }
        guard result == "ok" else { throw damaged(path, sqlite: result) }
    }

    /// The refusal for a damaged database, with the way back.
    public static func damaged(_ path: String, sqlite: String) -> Refusal {
        Refusal(
            kind: .damaged,
            description: """
                the state database \(path) is damaged; nothing was done.
                SQLite says: \(sqlite.split(separator: "\n").prefix(5).joined(separator: "; "))
                Stop every directus-promoter process, keep a copy of the state directory, then either restore the
                database from your latest backup, or salvage it: sqlite3 \(path) .recover | sqlite3 recovered.sqlite
                and put recovered.sqlite in its place (docs/operations.md, "When things go wrong").
                """)
    }
}
