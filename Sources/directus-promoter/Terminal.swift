import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When to colour output.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto
    case always
    case never

    /// Whether to colour: `auto` colours a terminal unless `NO_COLOR` is set.
    func enabled(forStandardOutput: Bool) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if getenv("NO_COLOR") != nil { return false }
            return isatty(forStandardOutput ? STDOUT_FILENO : STDERR_FILENO) == 1
        }
    }
}

/// An error that prints as one clear line and exits with status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
