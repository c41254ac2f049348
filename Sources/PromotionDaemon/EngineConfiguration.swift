import DirectusClient
import DirectusConfig
import DirectusContent
import DirectusSchema
import PromotionCore
import PromotionStore

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
    /// What to do with plans that destroy data.
    public var destructive: DestructivePolicy
    /// Entities this environment owns: out of drift and out of the diffs applied to it.
    public var ignore: IgnoreRules
    /// Let promotions change this environment's system indexes (`systemFields`). Off: the target keeps its own.
    public var manageSystemIndexes: Bool
    /// When promotions may be applied (empty: any time).
    public var windows: [PromotionWindow]
    /// How long a revision must have been applied on the environment before this one before it starts here.
    public var soak: Duration
    /// The most time this environment's requests may take in one tick (nil: no limit beyond each request's own
    /// timeout), so that an instance that stalls cannot keep the others from being polled.
    public var tickBudget: Duration?

    public var destructiveNeedsExplicitApproval: Bool { destructive == .approve }

    public init(
        name: String, url: String, force: Bool = false, policy: ApprovalPolicy = .automatic,
        destructive: DestructivePolicy = .allow, ignore: IgnoreRules = IgnoreRules(),
        manageSystemIndexes: Bool = false, windows: [PromotionWindow] = [], soak: Duration = .zero,
        tickBudget: Duration? = nil
    ) {
        self.name = name
        self.url = url
        self.force = force
        self.policy = policy
        self.destructive = destructive
        self.ignore = ignore
        self.manageSystemIndexes = manageSystemIndexes
        self.windows = windows
        self.soak = soak
        self.tickBudget = tickBudget
    }
}

/// The pipeline and the settings of each of its environments.
public struct EngineConfiguration: Sendable, Equatable {
    public var pipeline: Pipeline
    public var environments: [String: EnvironmentSettings]
    /// How often a target is checked for drift (nil: every tick).
    public var driftInterval: Duration?
    /// The configuration collections promoted with the schema (`promote: [schema, configuration]`); empty: the
    /// schema alone.
    public var configurationKinds: [ConfigKind] = []

    public var promotesConfiguration: Bool { !configurationKinds.isEmpty }
    /// The reference-data collections promoted with the schema (`promote: [schema, content]`); empty: none.
    public var contentRules: [ContentRule] = []
    public var contentLimits = ContentLimits()

    public var promotesContent: Bool { !contentRules.isEmpty }

    public init(pipeline: Pipeline, driftInterval: Duration? = nil, environments: [EnvironmentSettings]) {
        self.pipeline = pipeline
        self.driftInterval = driftInterval
        self.environments = Dictionary(environments.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func settings(_ name: String) -> EnvironmentSettings {
        environments[name] ?? EnvironmentSettings(name: name, url: "")
    }

    /// What `target` ignores: its own rules and the source's (what the source owns is never promoted).
    public func ignoreRules(for target: String) -> IgnoreRules {
        IgnoreRules(settings(target).ignore.patterns + settings(pipeline.source).ignore.patterns)
    }

    /// The configuration `target` owns (its ignore rules and the source's, the configuration patterns of them).
    public func configIgnore(for target: String) -> ConfigIgnore {
        ConfigIgnore(ignoreRules(for: target).patterns)
    }

    /// What of the source is polled: everything but the collections its own ignore rules name whole
    /// (`excludeCollections`, sent to 12.2+ sources only: `DirectusClient.snapshot(scope:)`).
    public var sourceScope: SnapshotScope {
        let names = settings(pipeline.source).ignore.excludedCollections
        return names.isEmpty ? .all : .exclude(names)
    }

    /// How diffs for `target` are shaped before they are applied (and shown).
    public func shaper(for target: String) -> DiffShaper {
        let settings = settings(target)
        return DiffShaper(
            ignore: ignoreRules(for: target), manageSystemIndexes: settings.manageSystemIndexes,
            destructive: settings.destructive)
    }

    /// The machine of a stored promotion: its state and memory, with its target's current policy (the engine
    /// feeds it events; the CLI asks it what a decision would do).
    public func machine(for promotion: PromotionRecord) -> PromotionStateMachine {
        let settings = settings(promotion.target)
        return PromotionStateMachine(
            state: promotion.state,
            memory: PromotionStateMachine.Memory(stored: promotion.machine) ?? PromotionStateMachine.Memory(),
            policy: settings.policy, destructiveNeedsExplicitApproval: settings.destructiveNeedsExplicitApproval)
    }
}
