import AsyncHTTPClient
import DirectusClient
import PromotionCore

/// `check-config --online`: reaches every instance as the daemon would, checks the credentials are an admin's, and
/// that versions and vendors allow promotion along the pipeline (`PipelineCompatibility`).
public enum OnlineCheck {
    /// One line per finding; `ok` tells whether all passed.
    public struct Result: Sendable {
        public var lines: [String]
        public var ok: Bool
    }

    public static func run(_ configuration: DaemonConfiguration, http: HTTPClient) async -> Result {
        var lines: [String] = []
        var ok = true
        var seen: [PipelineCompatibility.Seen] = []
        for environment in configuration.environments {
            do {
                let client = DirectusClient(endpoint: try configuration.endpoint(for: environment), httpClient: http)
                let snapshot = try await client.snapshot()
                let info = try? await client.serverInfo()
                let version = info?.version ?? snapshot.directus
                lines.append(
                    "  ✓ \(environment.name): \(environment.url) answers as an admin; Directus \(version ?? "?"), "
                        + "\(snapshot.vendor ?? "unknown vendor"), \(snapshot.collections.count) collections")
                seen.append(
                    .init(name: environment.name, version: version, vendor: snapshot.vendor, force: environment.force))
            } catch {
                ok = false
                lines.append("  ✗ \(environment.name): \(error)")
                seen.append(.init(name: environment.name, version: nil, vendor: nil, force: environment.force))
            }
        }
        let problems = PipelineCompatibility.problems(along: seen)
        lines += problems.map { "  ✗ \($0)" }
        return Result(lines: lines, ok: ok && problems.isEmpty)
    }
}
