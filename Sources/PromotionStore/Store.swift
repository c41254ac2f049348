import DirectusSchema
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state database: snapshot history, diffs, promotions, decisions and the audit log, in SQLite.
///
/// One `Store` owns the database. It runs the migrations when opened; each write method is one transaction named
/// for its intent; it never hands out a connection. WAL mode lets the daemon and CLI commands (separate processes)
/// read while one writes; writers wait for each other up to the busy timeout instead of failing.
public final class Store: Sendable {
    let writer: any DatabaseWriter

    private init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        do {
            try StoreMigrations.migrator.migrate(writer)
        } catch let error as DatabaseError where Self.storeError(error).isCorruption {
            throw Self.storeError(error)
        } catch {
            throw StoreError.database("migrating the state database: \(error)")
        }
    }

    /// An exclusive `flock` on a file beside the database, held while a process creates, opens (switching it to
    /// WAL) and migrates it: two processes starting on a new state directory at once (the daemon while `status`
    /// runs) would otherwise race on the journal mode or apply the same migration twice.
    struct OpeningLock {
        private let descriptor: Int32

        init(path: String) {
            #if canImport(Glibc)
            descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            #else
            descriptor = Darwin.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            #endif
            if descriptor >= 0 { flock(descriptor, LOCK_EX) }
        }

        func release() {
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Opens (creating if needed) the database at `path`: the directory is made 0700, the file 0600.
    public static func open(path: String) throws(StoreError) -> Store {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let manager = FileManager.default
        if !manager.fileExists(atPath: directory) {
            do {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError.database("preparing \(directory): \(error.localizedDescription)")
            }
        }
        let lock = OpeningLock(path: path + ".migrate-lock")
        defer { lock.release() }
        // Created 0600 in place, never replaced: FileManager's createFile writes a new file and renames it over the
        // path, which would pull the file from under another process that has just opened it.
        #if canImport(Glibc)
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        #else
        let descriptor = Darwin.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        #endif
        guard descriptor >= 0 else {
            throw StoreError.database("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        do {
            return try Store(writer: try DatabasePool(path: path, configuration: configuration()))
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where storeError(error).isCorruption {
            throw storeError(error)
        } catch {
            throw StoreError.database("opening \(path): \(error)")
        }
    }

    /// A private in-memory database (tests, `plan`).
    public static func inMemory() throws(StoreError) -> Store {
        do {
            return try Store(writer: try DatabaseQueue(configuration: configuration()))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database("\(error)")
        }
    }

    /// The migrations applied, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try StoreMigrations.migrator.appliedMigrations(db) }
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound (every page, index and constraint read; slow on a
    /// large database). Otherwise SQLite's first problems, one per line.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check(20)").joined(separator: "\n")
        }
    }

    /// `PRAGMA quick_check`: `ok` when the file's pages and records are sound (what the daemon checks at every
    /// start; it does not compare indexes with their tables). Otherwise SQLite's first problems, one per line.
    public func quickCheck() throws(StoreError) -> String {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA quick_check(20)").joined(separator: "\n")
        }
    }

    // MARK: Transactions

    /// One write transaction.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try storeErrors { try writer.write(body) }
    }

    /// One read, on a snapshot of the database.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try storeErrors { try writer.read(body) }
    }

    /// Runs `operation`, turning whatever it throws into a `StoreError`.
    private func storeErrors<T>(_ operation: () throws -> T) throws(StoreError) -> T {
        do {
            return try operation()
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw Self.storeError(error)
        } catch let error as RowDecodingError {
            throw StoreError.corrupt("\(error)")
        } catch let error as DecodingError {
            throw StoreError.corrupt("a row does not read as what it should hold: \(error)")
        } catch {
            throw StoreError.database("\(error)")
        }
    }

    /// SQLite's error as a `StoreError`: a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) is `corrupt`.
    static func storeError(_ error: DatabaseError) -> StoreError {
        let message = error.message ?? "\(error)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .corrupt(message)
        default: return .database(message)
        }
    }

    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}
