import DirectusConfig
import DirectusContent
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// One environment's drift in full, as `drift show ENV` prints it and the web view shows it: the record and the plan
/// of what changed there (from the schema it should have to the one it has), without what its ignore rules own.
public struct DriftDetail: Sendable {
    public var environment: String
    /// The schema's drift, if any.
    public var schemaDrift: DriftRecord?
    /// Nil when a snapshot it was computed from is no longer in history.
    public var plan: Plan?
    /// The configuration's drift, if any (pipelines that promote configuration).
    public var configurationDrift: DriftRecord?
    /// What changed in the configuration, from what it should be to what it is.
    public var configurationChanges: [ConfigDiff.Change] = []

    /// The reference data's drift, if any (pipelines that promote content), and its rows.
    public var contentDrift: DriftRecord?
    public var contentChanges: ContentDrift?

    /// The first drift: the schema's, else the configuration's, else the reference data's.
    public var drift: DriftRecord { schemaDrift ?? configurationDrift ?? contentDrift! }

    /// Nil when the environment has no drift.
    public init?(environment: String, store: Store, configuration: DaemonConfiguration) throws {
        self.environment = environment
        schemaDrift = try store.drift(environment: environment)
        configurationDrift = try store.configDrift(environment: environment)
        contentDrift = try store.contentDrift(environment: environment)
        guard schemaDrift != nil || configurationDrift != nil || contentDrift != nil else { return nil }
        if let contentDrift, let expected = try store.content(hash: contentDrift.expectedHash),
            let observed = try store.content(hash: contentDrift.observedHash)
        {
            contentChanges = ContentDrift(expected: expected, observed: observed)
        }
        if let configurationDrift, let expected = try store.configuration(hash: configurationDrift.expectedHash),
            let observed = try store.configuration(hash: configurationDrift.observedHash)
        {
            let diff = ConfigDiff.diff(current: expected, desired: observed)
            configurationChanges = diff.changes + diff.held
        }
        guard let drift = schemaDrift else { return }
        if let expected = try store.snapshot(hash: drift.expectedHash),
            let observed = try store.snapshot(hash: drift.observedHash)
        {
            let rules = try configuration.engineConfiguration().ignoreRules(for: environment)
            plan =
                DriftReport(
                    expected: expected, observed: observed,
                    ignoringUpgradeChanges: expected.directus != observed.directus, ignoring: rules
                ).plan
        }
    }

    /// The configuration changes as lines (`+ role:Editor`, `~ permission:… (fields)`).
    public var configurationLines: [String] {
        configurationChanges.map { change in
            let sign = change.action == .create ? "+" : change.action == .delete ? "-" : "~"
            return "\(sign) \(change.key)"
                + (change.fields.isEmpty ? "" : " (\(change.fields.joined(separator: ", ")))")
        }
    }

    /// The reference data's changes as lines (`+ countries XX`, `~ countries FR (name)`).
    public var contentLines: [String] {
        (contentChanges?.rows ?? []).map { row in
            let sign = row.change == .appeared ? "+" : row.change == .removed ? "-" : "~"
            return "\(sign) \(row.collection) \(row.key)"
                + (row.fields.isEmpty ? "" : " (\(row.fields.joined(separator: ", ")))")
        }
    }

    public var json: JSONValue {
        var object = JSONObject()
        object["environment"] = .string(environment)
        if let drift = schemaDrift {
            object["summary"] = .string(drift.summary)
            object["detected_at"] = .string(Timestamp.utc(drift.detectedAt))
            object["expected_hash"] = .string(drift.expectedHash)
            object["observed_hash"] = .string(drift.observedHash)
        }
        object["plan"] = plan.map(PlanRenderer.json) ?? .null
        if let drift = configurationDrift {
            object["configuration"] = [
                "summary": .string(drift.summary), "detected_at": .string(Timestamp.utc(drift.detectedAt)),
                "expected_hash": .string(drift.expectedHash), "observed_hash": .string(drift.observedHash),
                "changes": .array(configurationLines.map(JSONValue.string)),
            ]
        }
        if let drift = contentDrift {
            object["content"] = [
                "summary": .string(drift.summary), "detected_at": .string(Timestamp.utc(drift.detectedAt)),
                "expected_hash": .string(drift.expectedHash), "observed_hash": .string(drift.observedHash),
                "changes": .array(contentLines.map(JSONValue.string)),
            ]
        }
        return .object(object)
    }

    public func text(now: Date, color: Bool) -> String {
        let style = TextStyle(color: color)
        var out = ""
        if let drift = schemaDrift {
            out +=
                style.bold("Drift on \(drift.environment)") + " since \(Timestamp.utc(drift.detectedAt)) "
                + "(\(RelativeTime.describe(drift.detectedAt, now: now)))\n  \(drift.summary)\n\n"
            out += "Changes made on \(drift.environment) outside the pipeline:\n"
            out += plan.map { PlanRenderer.text($0, color: color) } ?? "  (the snapshots are no longer in history)\n"
        }
        if let drift = configurationDrift {
            if schemaDrift != nil { out += "\n" }
            out +=
                style.bold("Configuration drift on \(drift.environment)") + " since "
                + "\(Timestamp.utc(drift.detectedAt)) (\(RelativeTime.describe(drift.detectedAt, now: now)))\n"
                + "  \(drift.summary)\n\n"
            out += configurationLines.map { "  \($0)\n" }.joined()
        }
        if let drift = contentDrift {
            if schemaDrift != nil || configurationDrift != nil { out += "\n" }
            out +=
                style.bold("Reference data drift on \(drift.environment)") + " since "
                + "\(Timestamp.utc(drift.detectedAt)) (\(RelativeTime.describe(drift.detectedAt, now: now)))\n"
                + "  \(drift.summary)\n\n"
            out += contentLines.map { "  \($0)\n" }.joined()
        }
        out +=
            "\nAdopt it: directus-promoter drift accept \(drift.environment); or let the next promotion put it back\n"
        return out
    }
}
