import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` until it returns or SIGINT/SIGTERM arrives, which cancels it.
func withSignalCancellation(_ body: @escaping @Sendable () async throws -> Void) async throws {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let queue = DispatchQueue(label: "signals")
    let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
    let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { continuation.yield(number) }
        source.resume()
        return source
    }
    defer {
        sources.forEach { $0.cancel() }
        continuation.finish()
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            // Ends at the first signal, or when cancelled because the body finished.
            for await _ in signals { break }
        }
        _ = try await group.next()
        group.cancelAll()
    }
}
