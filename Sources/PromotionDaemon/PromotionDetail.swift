import DirectusConfig
import DirectusContent
import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// One promotion in full, as `show` prints it and the web view shows it: the view, its plan (the stored diff read
/// against the snapshot it was computed on) and its audit events.
public struct PromotionDetail: Sendable {
    public var view: PromotionView
    public var plan: Plan?
    /// The configuration plan of the latest diff (`ConfigPlanRenderer.json`), when it has one.
    public var configurationPlan: JSONValue?
    /// The reference data plan of the latest diff (`ContentPlanRenderer.json`), when it has one.
    public var contentPlan: JSONValue?
    public var events: [EventRecord]

    public init?(id: Int64, store: Store, configuration: DaemonConfiguration) throws {
        guard let record = try store.promotion(id: id) else { return nil }
        view = try PromotionView(record, store: store, configuration: configuration)
        events = try store.events(promotionID: id)
        plan = try Self.plan(of: view, store: store)
        configurationPlan = try view.diff.flatMap { diff throws(StoreError) in try store.configPlan(diffID: diff.id) }
        contentPlan = try view.diff.flatMap { diff throws(StoreError) in try store.contentPlan(diffID: diff.id) }
    }

    /// The plan of the promotion's latest diff, read against the target snapshot it was computed on, with the
    /// warnings of that target's release.
    static func plan(of view: PromotionView, store: Store) throws -> Plan? {
        guard let diff = view.diff, !diff.directusHash.isEmpty, let raw = try store.diffContent(id: diff.id),
            let current = try store.snapshot(hash: diff.targetSnapshotHash),
            let decoded = try? SnapshotDiff(json: raw)
        else { return nil }
        return PlanBuilder.plan(decoded, current: current, version: current.directus.flatMap(DirectusVersion.init))
    }

    public var json: JSONValue {
        var object = view.json.objectValue ?? JSONObject()
        object["plan"] = plan.map(PlanRenderer.json) ?? .null
        object["configuration"] = configurationPlan ?? .null
        object["content"] = contentPlan ?? .null
        object["events"] = .array(
            events.map { event in
                [
                    "at": .string(Timestamp.utc(event.at)), "actor": .string(event.actor),
                    "kind": .string(event.kind), "message": .string(event.message),
                ]
            })
        return .object(object)
    }

    public func text(now: Date, color: Bool) -> String {
        let style = TextStyle(color: color)
        let record = view.record
        var lines = [
            style.bold("Promotion \(record.id)") + ": revision r\(record.revisionID) to \(record.target)",
            "  state:     \(style.state(record.state))",
            "  created:   \(Timestamp.utc(record.createdAt)) (\(RelativeTime.describe(record.createdAt, now: now)))",
            "  updated:   \(Timestamp.utc(record.updatedAt)) (\(RelativeTime.describe(record.updatedAt, now: now)))",
            "  applies:   \(record.attempts)",
        ]
        if let required = view.requiredApprovals {
            lines.append(
                "  approvals: \(view.approvers.isEmpty ? "none" : view.approvers.joined(separator: ", "))"
                    + (required == 0 ? " (automatic)" : " (\(required) required)"))
        }
        if let diff = view.diff {
            let hash = diff.directusHash.isEmpty ? "none (no schema change)" : diff.directusHash
            lines.append("  diff hash: \(hash) (computed \(RelativeTime.describe(diff.computedAt, now: now)))")
        }
        if let error = record.lastError { lines.append("  error:     \(error)") }
        var out = lines.joined(separator: "\n") + "\n"
        if let plan {
            out += "\n" + style.bold("Plan") + "\n" + PlanRenderer.text(plan, color: color)
        }
        if let configurationPlan {
            out += "\n" + style.bold("Configuration") + "\n" + ConfigPlanRenderer.text(json: configurationPlan) + "\n"
        }
        if let contentPlan {
            out += "\n" + style.bold("Reference data") + "\n" + ContentPlanRenderer.text(json: contentPlan) + "\n"
        }
        out += "\n" + style.bold("Events") + "\n"
        out += Table(
            header: ["AT", "ACTOR", "EVENT", "MESSAGE"],
            rows: events.map { [Timestamp.utc($0.at), $0.actor, $0.kind, $0.message] }
        ).render()
        return out
    }
}
