import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// A promotion as the CLI shows it: the stored record plus what people need to read (approvers, the plan's size).
public struct PromotionView: Sendable {
    public var record: PromotionRecord
    public var approvers: [String]
    public var requiredApprovals: Int?
    public var diff: StoredDiff?
    public var decidedBy: [String]

    public init(_ record: PromotionRecord, store: Store, configuration: DaemonConfiguration?) throws {
        self.record = record
        let memory = PromotionStateMachine.Memory(stored: record.machine)
        approvers = memory?.approvers ?? []
        requiredApprovals = configuration?.environments.first { $0.name == record.target }?.approval.requiredApprovals
        diff = try record.diffID.flatMap { try store.diff(id: $0) }
        decidedBy = try store.decisions(promotionID: record.id).map { "\($0.kind.rawValue):\($0.actor)" }
    }

    public var json: JSONValue {
        let base: JSONValue = [
            "id": .number(JSONNumber(Int(record.id))), "revision": .number(JSONNumber(Int(record.revisionID))),
            "target": .string(record.target), "state": .string(record.state.rawValue),
            "attempts": .number(JSONNumber(record.attempts)),
            "created_at": .string(Self.timestamp(record.createdAt)),
            "updated_at": .string(Self.timestamp(record.updatedAt)),
            "approvers": .array(approvers.map(JSONValue.string)),
            "last_error": record.lastError.map(JSONValue.string) ?? .null,
        ]
        var object = base.objectValue ?? JSONObject()
        if let requiredApprovals { object["required_approvals"] = .number(JSONNumber(requiredApprovals)) }
        if let diff {
            object["diff"] = [
                "hash": .string(diff.directusHash), "creates": .number(JSONNumber(diff.creates)),
                "updates": .number(JSONNumber(diff.updates)), "deletes": .number(JSONNumber(diff.deletes)),
                "destructive": .number(JSONNumber(diff.destructive)),
            ]
        } else {
            object["diff"] = .null
        }
        return .object(object)
    }

    public var changeSummary: String {
        guard let diff else { return "" }
        var parts: [String] = []
        if diff.creates > 0 { parts.append("+\(diff.creates)") }
        if diff.updates > 0 { parts.append("~\(diff.updates)") }
        if diff.deletes > 0 { parts.append("-\(diff.deletes)") }
        return parts.joined(separator: " ")
    }

    public static func timestamp(_ date: Date) -> String { Timestamp.utc(date) }
}
