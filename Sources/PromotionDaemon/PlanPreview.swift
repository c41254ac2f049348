import AsyncHTTPClient
import DirectusClient
import DirectusSchema
import Foundation

/// `plan ENV`: what promoting the source to a target would apply now, through the daemon's own planning
/// (`TargetPlanner` with the target's `DiffShaper`), recording nothing.
public struct PlanPreview: Sendable {
    public var source: String
    public var target: String
    public var observation: TargetPlanner.Observation

    /// Why no preview can be made.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func make(
        target name: String, configuration: DaemonConfiguration, http: HTTPClient
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
        let observation = try await TargetPlanner.observe(
            source: try await source.snapshot(scope: engine.sourceScope), on: client,
            shaper: engine.shaper(for: target.name),
            step: .init(source: configuration.source.name, target: name, force: target.force))
        return PlanPreview(source: configuration.source.name, target: name, observation: observation)
    }

    /// Whether something would be applied.
    public var hasChanges: Bool { !observation.isInSync }

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
        if hasChanges, let pending = observation.pending, let shaped = observation.shaped {
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
        guard hasChanges, let shaped = observation.shaped else {
            return "\(target) already has \(source)'s schema: nothing to apply\n"
                + notes.map { "  (\($0))\n" }.joined()
        }
        return "What promoting \(source) to \(target) would apply now:\n\n"
            + PlanRenderer.text(shaped.plan, color: color)
            + notes.map { "\nLeft out: \($0)\n" }.joined()
    }
}
