import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A single-instance lock on a state directory: an exclusive `flock` on `daemon.lock`, held while the file
/// descriptor is open. The kernel drops it when the process dies, even by SIGKILL, so a crash never leaves a
/// stale lock. The holder's pid is written into the file so that a second instance can say who holds it.
public final class InstanceLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public struct Held: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var holder: String?
        public var description: String {
            "another directus-promoter\(holder.map { " (pid \($0))" } ?? "") holds the lock \(path); "
                + "only one daemon may act on a state directory"
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Takes the lock in `directory`, or throws `Held` at once when another process has it.
    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("daemon.lock")
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw Held(path: path, holder: holder?.isEmpty == false ? holder : nil)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pointer in pwrite(descriptor, pointer, strlen(pointer), 0) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }
}
