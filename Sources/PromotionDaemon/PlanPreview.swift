import AsyncHTTPClient
import DirectusClient
import DirectusConfig
import DirectusContent
import DirectusSchema
import Foundation

/// `plan ENV`: what promoting the source to a target would apply now, through the daemon's own planning
/// (`TargetPlanner` with the target's `DiffShaper`), recording nothing.
public struct PlanPreview: Sendable {
    public var source: String
    public var target: String
    public var observation: TargetPlanner.Observation
    /// The configuration plan, when the pipeline promotes configuration.
    public var configuration: ConfigPlan?
    /// The reference data plan, when the pipeline promotes content.
    public var content: ContentPlan?

    /// Why no preview can be made.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// `mapping`: the persisted identity mapping of the source and this target (per kind, source id → target id),
    /// as the daemon would use it.
    public static func make(
        target name: String, configuration: DaemonConfiguration, http: HTTPClient,
        mapping: [ConfigKind: [String: String]] = [:]
    ) async throws -> PlanPreview {
        guard let target = configuration.environments.first(where: { $0.name == name }) else {
            throw Refusal(
                description: "no environment \(name) in \(configuration.path) (there are "
                    + "\(configuration.environments.map(\.name).joined(separator: ", ")))")
        }
        guard target.name != configuration.source.name else {
            throw Refusal(description: "\(name) is the source: changes are promoted from it, never to it")
        }
        let source = DirectusClient(endpoint: try configuration.endpoint(for: configuration.source), httpClient: http)
        let client = DirectusClient(endpoint: try configuration.endpoint(for: target), httpClient: http)
        let engine = try configuration.engineConfiguration()
        let sourceSnapshot = try await source.snapshot(scope: engine.sourceScope)
        let observation = try await TargetPlanner.observe(
            source: sourceSnapshot, on: client,
            shaper: engine.shaper(for: target.name),
            step: .init(source: configuration.source.name, target: name, force: target.force))
        var plan: ConfigPlan?
        if engine.promotesConfiguration {
            let desired = try await ConfigurationObserver.source(
                on: source, kinds: engine.configurationKinds,
                ignore: ConfigIgnore(engine.settings(configuration.source.name).ignore.patterns))
            plan =
                try await ConfigurationObserver.observe(
                    desired: desired, on: client, kinds: engine.configurationKinds,
                    ignore: engine.configIgnore(for: name), mapping: mapping,
                    options: ConfigPlanner.Options(keepDeletions: target.destructive == .never)
                ).plan
        }
        var content: ContentPlan?
        if engine.promotesContent {
            let desired = try await ContentObserver.source(
                on: source, rules: engine.contentRules, snapshot: sourceSnapshot, limits: engine.contentLimits)
            content =
                try await ContentObserver.observe(
                    desired: desired, on: client, rules: engine.contentRules, revision: sourceSnapshot,
                    targetSchema: observation.target, limits: engine.contentLimits,
                    keepDeletions: target.destructive == .never
                ).plan
        }
        return PlanPreview(
            source: configuration.source.name, target: name, observation: observation, configuration: plan,
            content: content)
    }

    /// Whether something would be applied.
    public var hasChanges: Bool {
        !observation.isInSync || !(configuration?.isEmpty ?? true) || !(content?.isEmpty ?? true)
    }

    var notes: [String] {
        var notes = observation.shaped?.notes ?? []
        if case .acrossVersions(let note) = observation.verdict { notes.insert(note, at: 0) }
        return notes
    }

    public var json: JSONValue {
        var object = JSONObject()
        object["environment"] = .string(target)
        if let reason = observation.incompatible { object["blocked"] = .string(reason) }
        object["in_sync"] = .bool(!hasChanges)
        if let plan = configuration { object["configuration"] = ConfigPlanRenderer.json(plan) }
        if let plan = content { object["content"] = ContentPlanRenderer.json(plan) }
        if !observation.isInSync, let pending = observation.pending, let shaped = observation.shaped {
            object["hash"] = .string(pending.hash)
            object["plan"] = PlanRenderer.json(shaped.plan)
        } else {
            object["plan"] = .null
        }
        object["left_out"] = .array(notes.map(JSONValue.string))
        return .object(object)
    }

    public func text(color: Bool) -> String {
        if let reason = observation.incompatible {
            return "\(source)'s schema cannot be promoted to \(target): \(reason)\n"
        }
        guard hasChanges else {
            let what = [
                "schema", configuration == nil ? nil : "configuration", content == nil ? nil : "reference data",
            ]
            .compactMap { $0 }.joined(separator: " and ")
            return "\(target) already has \(source)'s \(what): nothing to apply\n"
                + notes.map { "  (\($0))\n" }.joined()
        }
        var out = "What promoting \(source) to \(target) would apply now:\n\n"
        if !observation.isInSync, let shaped = observation.shaped {
            out += PlanRenderer.text(shaped.plan, color: color)
        } else {
            out += "Schema: nothing to apply\n"
        }
        if let plan = configuration {
            out += "\nConfiguration:\n" + ConfigPlanRenderer.text(plan) + "\n"
            if let reason = plan.blockingReason { out += "\nBlocked: \(reason)\n" }
        }
        if let plan = content {
            out += "\nReference data:\n" + ContentPlanRenderer.text(plan) + "\n"
        }
        return out + notes.map { "\nLeft out: \($0)\n" }.joined()
    }
}
