import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// ANSI colours, only when asked for (a terminal).
public struct TextStyle: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    func wrap(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func attention(_ text: String) -> String { wrap(text, "1;33") }

    public func state(_ state: PromotionState) -> String {
        switch state {
        case .applied: wrap(state.words, "32")
        case .failed, .blocked, .rejected: wrap(state.words, "31")
        case .awaitingApproval: wrap(state.words, "33")
        case .superseded, .cancelled: wrap(state.words, "2")
        case .queued, .planning, .approved, .applying, .verifying, .stale: wrap(state.words, "36")
        }
    }

    public func condition(_ condition: StatusReport.Condition) -> String {
        switch condition {
        case .inSync: wrap(condition.rawValue, "32")
        case .behind, .rolledBack, .awaitingApproval: wrap(condition.rawValue, "33")
        case .unreachable, .drifted: wrap(condition.rawValue, "31")
        case .source, .unknown: condition.rawValue
        }
    }
}
