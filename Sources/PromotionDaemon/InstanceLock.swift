import DirectusSchema
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A single-instance lock on a state directory: an exclusive `flock` on `daemon.lock`, held while the file
/// descriptor is open. The kernel drops it when the process dies, even by SIGKILL, so a crash never leaves a
/// stale lock. The holder writes its pid, its start time (in clock ticks since boot, from `/proc`) and the wall
/// time into the file: another process asks the lock itself whether it is held (`holder(directory:)`), and
/// trusts the pid only when the process with that pid started when the file says, so a pid left behind by a
/// crash and reused by another program is never signalled.
public final class InstanceLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public struct Held: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var holder: Holder?
        public var description: String {
            "another directus-promoter\(holder?.pid.map { " (pid \($0))" } ?? "") holds the lock \(path); "
                + "only one daemon may act on a state directory"
        }
    }

    /// Why the lock could not be taken: the directory cannot be made, or the lock file cannot be opened.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case cannotCreate, io }
        public var kind: Kind
        public var description: String
    }

    /// The process holding a state directory's lock.
    public struct Holder: Sendable, Equatable {
        /// Its pid, when the lock file names a living process that started when the file says; nil otherwise
        /// (the lock is held, but by whom cannot be confirmed: never signal it).
        public var pid: Int32?
        /// When it took the lock.
        public var since: Date?
    }

    public static func path(directory: String) -> String {
        (directory as NSString).appendingPathComponent("daemon.lock")
    }

    /// Takes the lock in `directory`, or throws `Held` at once when another process has it.
    public init(directory: String) throws {
        let path = Self.path(directory: directory)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure(
                    kind: .cannotCreate,
                    description: "cannot create the state directory \(directory): \(Self.reason(of: error))")
            }
        } else if !isDirectory.boolValue {
            throw Failure(kind: .cannotCreate, description: "the state directory \(directory) is not a directory")
        } else {
            // It holds the history and the audit log: only its owner reads it (an existing directory made 0755 by
            // hand or an older version is tightened; one owned by someone else is left alone).
            var info = stat()
            if stat(directory, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o077 != 0 {
                _ = chmod(directory, 0o700)
            }
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(kind: .io, description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Held(path: path, holder: Self.holder(directory: directory))
        }
        let record =
            "\(getpid()) \(Self.startTicks(of: getpid()).map(String.init) ?? "-") "
            + "\(Int(saturating: Date().timeIntervalSince1970))\n"
        _ = ftruncate(descriptor, 0)
        _ = record.withCString { pointer in pwrite(descriptor, pointer, strlen(pointer), 0) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// Who holds the lock of `directory` now, found by trying the lock (not by believing the file): nil when no
    /// process holds it, whatever the file says.
    public static func holder(directory: String) -> Holder? {
        let path = Self.path(directory: directory)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(descriptor, &buffer, buffer.count)
        let fields = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        var holder = Holder(pid: nil, since: nil)
        if fields.count >= 3, let seconds = Double(fields[2]), seconds.isFinite {
            holder.since = Date(timeIntervalSince1970: seconds)
        }
        if fields.count >= 2, let pid = Int32(fields[0]), pid > 0, let recorded = UInt64(fields[1]),
            startTicks(of: pid) == recorded
        {
            holder.pid = pid
        }
        return holder
    }

    /// When process `pid` started, in clock ticks since boot (field 22 of `/proc/PID/stat`); nil when there is no
    /// such process or no `/proc`.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"), data.count < 4096 else {
            return nil
        }
        let text = String(decoding: data, as: UTF8.self)
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func reason(of error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
