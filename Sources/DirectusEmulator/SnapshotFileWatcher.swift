import DirectusSchema
import Foundation

/// Keeps an emulated instance's schema in step with a snapshot file: when the file is saved (its size, time or
/// inode changes: editors often write a new file and rename it), it is read again and becomes the instance's
/// schema, as an edit in the Data Studio would. A file that does not read as a snapshot (saved half-way, a typo)
/// leaves the schema as it was and is reported; the next save is tried again.
public struct SnapshotFileWatcher: Sendable {
    public let path: String
    let instance: EmulatedInstance
    let interval: Duration
    /// Told of every reload: the snapshot taken, or why the file was not.
    let report: @Sendable (Result<Snapshot, SnapshotLoader.LoadError>) -> Void

    public init(
        path: String, instance: EmulatedInstance, interval: Duration = .milliseconds(300),
        report: @escaping @Sendable (Result<Snapshot, SnapshotLoader.LoadError>) -> Void
    ) {
        self.path = path
        self.instance = instance
        self.interval = interval
        self.report = report
    }

    /// What identifies one version of the file.
    struct Stamp: Equatable {
        var size: Int
        var modified: Date
        var inode: Int
    }

    func stamp() -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return Stamp(
            size: (attributes[.size] as? Int) ?? -1, modified: (attributes[.modificationDate] as? Date) ?? .distantPast,
            inode: (attributes[.systemFileNumber] as? Int) ?? -1)
    }

    /// Watches until cancelled.
    public func run() async {
        var last = stamp()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let current = stamp()
            guard let current, current != last else { continue }
            last = current
            do {
                let loaded = try SnapshotLoader.load(contentsOfFile: path)
                await instance.replaceSchema(loaded.snapshot)
                report(.success(loaded.snapshot))
            } catch {
                report(.failure(error))
            }
        }
    }
}
