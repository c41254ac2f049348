import DirectusEmulator
import Foundation
import Synchronization

/// Runs an emulator on a free loopback port for the duration of `body`, which gets its base URL.
@discardableResult
public func withEmulator<T: Sendable>(
    _ instance: EmulatedInstance, tls: (certificatePath: String, privateKeyPath: String)? = nil,
    _ body: @Sendable (String) async throws -> T
) async throws -> T {
    let (urls, continuation) = AsyncStream.makeStream(of: String.self)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await EmulatorServer(instance: instance, port: 0, tls: tls).run { url in continuation.yield(url) }
            return nil
        }
        var iterator = urls.makeAsyncIterator()
        guard let url = await iterator.next() else { throw HarnessError("the emulator did not start") }
        let result = try await body(url)
        group.cancelAll()
        return result
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A clock the test moves by hand (an emulator's `now`).
public final class ManualClock: Sendable {
    private let seconds = Mutex<Double>(1_800_000_000)
    public init() {}
    public var now: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    public func advance(by delta: Double) { seconds.withLock { $0 += delta } }
}

/// Runs blocking work (waiting for a child process, sleeping between kills) on a thread of its own. Tests that
/// block a thread of Swift's cooperative pool (two threads on a two-core machine) starve every actor in the test
/// process, the in-process emulators included, and make unrelated HTTP tests time out.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
