import DirectusSchema
import Foundation

/// What one tick did (`poll`), with the status after it.
public struct PollSummary: Sendable {
    public var report: PromotionEngine.TickReport
    public var status: StatusReport

    public init(report: PromotionEngine.TickReport, status: StatusReport) {
        self.report = report
        self.status = status
    }

    /// Whether a person should look (exit 3): the status says so, or the source could not be polled.
    public var needsAttention: Bool { status.needsAttention || report.sourceError != nil }

    public var json: JSONValue {
        [
            "source_hash": report.sourceHash.map(JSONValue.string) ?? .null,
            "source_error": report.sourceError.map(JSONValue.string) ?? .null,
            "new_revision": report.newRevision.map { .number(JSONNumber(Int($0))) } ?? .null,
            "transitions": .array(report.transitions.map(JSONValue.string)),
            "problems": .array(report.problems.map(JSONValue.string)),
            "status": status.json,
        ]
    }

    public func text(now: Date, color: Bool) -> String {
        var lines: [String] = []
        if let revision = report.newRevision { lines.append("new revision r\(revision)") }
        lines += report.transitions.map { "promotion \($0)" }
        lines += report.problems.map { "waiting: \($0)" }
        if let error = report.sourceError { lines.append("source: \(error)") }
        if report.transitions.isEmpty && report.newRevision == nil && report.problems.isEmpty {
            lines.append("nothing to do")
        }
        return lines.joined(separator: "\n") + "\n\n" + status.text(now: now, color: color)
    }
}
