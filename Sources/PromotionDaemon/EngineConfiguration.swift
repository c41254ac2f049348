import DirectusClient
import PromotionCore

/// What the engine needs to know about one environment besides how to reach it.
public struct EnvironmentSettings: Sendable, Equatable {
    public var name: String
    /// The instance's URL, as recorded in the state database (never with credentials).
    public var url: String
    /// Send `force=true` with diffs and applies: promote across Directus versions or database vendors. A
    /// deliberate operator choice, never a fallback.
    public var force: Bool
    /// How promotions to this environment are approved (ignored for the source).
    public var policy: ApprovalPolicy
    /// A plan that deletes something needs an approval given with `--allow-destructive`.
    public var destructiveNeedsExplicitApproval: Bool

    public init(
        name: String, url: String, force: Bool = false, policy: ApprovalPolicy = .automatic,
        destructiveNeedsExplicitApproval: Bool = false
    ) {
        self.name = name
        self.url = url
        self.force = force
        self.policy = policy
        self.destructiveNeedsExplicitApproval = destructiveNeedsExplicitApproval
    }
}

/// The pipeline and the settings of each of its environments.
public struct EngineConfiguration: Sendable, Equatable {
    public var pipeline: Pipeline
    public var environments: [String: EnvironmentSettings]

    public init(pipeline: Pipeline, environments: [EnvironmentSettings]) {
        self.pipeline = pipeline
        self.environments = Dictionary(environments.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func settings(_ name: String) -> EnvironmentSettings {
        environments[name] ?? EnvironmentSettings(name: name, url: "")
    }
}
