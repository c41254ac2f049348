import Foundation
import TestSupport

/// Runs the built `directus-promoter` binary, which sits beside the test bundle.
enum Binary {
    static var productsDirectory: URL {
        let runner = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // On macOS the runner is inside an .xctest bundle.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
            || directory.lastPathComponent == "Contents"
        {
            directory.deleteLastPathComponent()
        }
        return directory
    }

    static var executable: URL { productsDirectory.appendingPathComponent("directus-promoter") }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs the binary (or another product, `executable`) to completion on a thread of its own, so that waiting
    /// for it never blocks the cooperative pool (which the in-process emulators the child talks to need).
    static func run(
        _ arguments: [String], environment: [String: String] = [:], executable: URL = Binary.executable
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try runBlocking(arguments, environment: environment, executable: executable)
                    })
            }
        }
    }

    /// Runs the binary (or `executable`) to completion with `arguments`, blocking the calling thread.
    static func runBlocking(
        _ arguments: [String], environment: [String: String] = [:], executable: URL = Binary.executable
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting, so a large output cannot fill the pipe and block the child.
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }
}
