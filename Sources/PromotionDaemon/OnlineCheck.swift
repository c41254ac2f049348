import AsyncHTTPClient
import DirectusClient
import DirectusConfig
import DirectusSchema
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
                if !configuration.configurationKinds.isEmpty {
                    lines.append(
                        try await configurationLine(
                            environment.name, client: client, kinds: configuration.configurationKinds,
                            version: version.flatMap(DirectusVersion.init),
                            isSource: environment.name == configuration.source.name))
                }
                if !configuration.contentRules.isEmpty && environment.name == configuration.source.name {
                    let line = await contentLine(environment.name, client: client, configuration, schema: snapshot)
                    if line.hasPrefix("  ✗") { ok = false }
                    lines.append(line)
                }
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

    /// Whether the source's schema can carry the reference data the pipeline promotes (each collection has a table,
    /// each identity field exists), with how many rows each collection has, within the limits.
    static func contentLine(
        _ name: String, client: DirectusClient, _ configuration: DaemonConfiguration, schema: Snapshot
    ) async -> String {
        do {
            let content = try await ContentObserver.source(
                on: client, rules: configuration.contentRules, snapshot: schema, limits: configuration.contentLimits)
            let counts = configuration.contentRules.map { rule -> String in
                let count = content.collections[rule.collection]?.rows.count ?? 0
                return "\(count) row\(count == 1 ? "" : "s") of \(rule.collection)"
            }.joined(separator: ", ")
            var line = "  ✓ \(name): reference data readable: \(counts)"
            let duplicates = content.collections.values.filter { !$0.duplicates.isEmpty }.map(\.name).sorted()
            if !duplicates.isEmpty {
                line += "; rows sharing an identity (never promoted) in \(duplicates.joined(separator: ", "))"
            }
            return line
        } catch {
            return "  ✗ \(name): reference data: \(error)"
        }
    }

    /// Whether the configuration the pipeline promotes can be read, with how many records of each collection, and
    /// what makes the read incomplete (a `QUERY_LIMIT_MAX` cut, an unlicensed 12.x source's permissions).
    static func configurationLine(
        _ name: String, client: DirectusClient, kinds: [ConfigKind], version: DirectusVersion?, isSource: Bool
    ) async throws -> String {
        let export = try await client.configuration(ConfigurationObserver.kindsToRead(kinds, version: version))
        // Stored records only: a read of permissions adds the synthetic ones app access implies (no id).
        let counts = kinds.map { kind in
            "\((export.rows[kind] ?? []).filter { $0["id"] != nil }.count) \(kind.fileStem)"
        }.joined(separator: ", ")
        var line = "  ✓ \(name): configuration readable: \(counts)"
        if export.incomplete { line += "; incomplete: \(export.notes.joined(separator: "; "))" }
        if isSource,
            !ConfigLicence.incompleteKinds(version: version, settings: export.rows[.settings]?.first)
                .intersection(kinds).isEmpty
        {
            line += "; an unlicensed 12.x source: its permissions are treated as incomplete (never deleted from)"
        }
        return line
    }
}
