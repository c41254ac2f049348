import DirectusSchema
import Foundation
import PromotionStore

/// Promotions newest first, as `history` lists them.
public struct HistoryReport: Sendable {
    public var views: [PromotionView]

    public init(
        store: Store, configuration: DaemonConfiguration, limit: Int, target: String?, since: Date?
    ) throws {
        views = try store.history(limit: limit, target: target, since: since).map {
            try PromotionView($0, store: store, configuration: configuration)
        }
    }

    public var json: JSONValue { .array(views.map(\.json)) }

    public func text(now: Date, color: Bool) -> String {
        let style = TextStyle(color: color)
        return Table(
            header: ["ID", "REVISION", "TARGET", "STATE", "CHANGES", "CREATED", "TOOK", "APPROVED BY"],
            rows: views.map { view in
                [
                    "\(view.record.id)", "r\(view.record.revisionID)", view.record.target,
                    style.state(view.record.state), view.changeSummary.isEmpty ? "—" : view.changeSummary,
                    RelativeTime.describe(view.record.createdAt, now: now),
                    Self.span(view.record.updatedAt.timeIntervalSince(view.record.createdAt)),
                    view.approvers.isEmpty ? "—" : view.approvers.joined(separator: ", "),
                ]
            }
        ).render()
    }

    static func span(_ seconds: TimeInterval) -> String {
        seconds < 1 ? "<1 s" : RelativeTime.describeSpan(Int(saturating: seconds))
    }
}
