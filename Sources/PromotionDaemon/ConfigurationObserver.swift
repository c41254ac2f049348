import DirectusClient
import DirectusConfig
import DirectusSchema

/// Reads configurations over REST and plans them: the one way the daemon, `plan` and `diff` see configuration.
public enum ConfigurationObserver {
    /// A target's configuration, read and planned against a source's.
    public struct Observation: Sendable {
        /// The rows as read (what compensation restores).
        public var before: ConfigExport
        public var plan: ConfigPlan
        /// The target's configuration in canonical form on its own (no identity pins), without what it owns: what
        /// drift compares and expectations hold.
        public var observed: ConfigurationSnapshot
        /// Mappings whose target record is gone.
        public var vanished: [(kind: ConfigKind, targetID: String)]
    }

    /// The kinds to read: those promoted, and the settings of a 12.x instance (its licence decides whether its
    /// permissions can be read whole).
    static func kindsToRead(_ kinds: [ConfigKind], version: DirectusVersion?) -> [ConfigKind] {
        var read = kinds
        if let version, version >= DirectusVersion(12, 0, 0), !read.contains(.settings) { read.append(.settings) }
        return read.sorted()
    }

    /// The source's configuration as a revision holds it: canonical, restricted to `kinds`, without what `ignore`
    /// names; its permissions marked incomplete when it is an unlicensed 12.x instance.
    public static func source(
        on client: DirectusClient, kinds: [ConfigKind], ignore: ConfigIgnore
    ) async throws(DirectusClientError) -> ConfigurationSnapshot {
        let version = try await releaseOf(client)
        let export = try await client.configuration(kindsToRead(kinds, version: version))
        var snapshot = ConfigNormalizer.snapshot(of: export).restricted(to: Set(kinds))
        snapshot.incompleteKinds = ConfigLicence.incompleteKinds(
            version: version, settings: export.rows[.settings]?.first
        ).intersection(kinds)
        return ignore.apply(to: snapshot)
    }

    /// Reads `client`'s configuration and plans `desired` against it: records matched by the persisted `mapping`
    /// (per kind, source id → target id), then the same UUID, then natural keys.
    public static func observe(
        desired: ConfigurationSnapshot, on client: DirectusClient, kinds: [ConfigKind], ignore: ConfigIgnore,
        mapping: [ConfigKind: [String: String]], options: ConfigPlanner.Options
    ) async throws(DirectusClientError) -> Observation {
        let export = try await client.configuration(kinds.sorted())
        let kindSet = Set(kinds)
        let wanted = desired.restricted(to: kindSet)
        let resolution = ConfigIdentityResolver.resolve(desired: wanted, target: export, mapping: mapping)
        let pinned = ConfigNormalizer.snapshot(of: export, pinned: resolution.pins).restricted(to: kindSet)
        let (source, target) = ignore.apply(desired: wanted, current: pinned)
        let plan = ConfigPlanner.plan(desired: source, current: target, options: options)
        let observed = ignore.apply(to: ConfigNormalizer.snapshot(of: export).restricted(to: kindSet))
        return Observation(before: export, plan: plan, observed: observed, vanished: resolution.vanished)
    }

    /// The release from `/server/info` (nil when the instance does not say or cannot be asked; a cancellation is
    /// passed on). `TargetPlanner` falls back on the snapshot's label.
    static func releaseOf(_ client: DirectusClient) async throws(DirectusClientError) -> DirectusVersion? {
        do {
            return try await client.serverVersion()
        } catch {
            if case .cancelled = error { throw error }
            return nil
        }
    }
}
