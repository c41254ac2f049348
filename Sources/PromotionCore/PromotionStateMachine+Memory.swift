import Foundation

extension PromotionStateMachine {
    /// What the machine remembers besides its state; persisted with it, so a restarted daemon rebuilds the
    /// machine exactly.
    public struct Memory: Sendable, Equatable, Codable {
        /// The content of the diff people approved (or the automatic policy accepted).
        public var approvedContentKey: String?
        /// The content of the latest plan.
        public var plannedContentKey: String?
        public var plannedDestructive = false
        /// Distinct approvers of the current plan.
        public var approvers: [String] = []
        public var destructiveAllowed = false
        public var lastError: String?
        public var retryable = false
        /// The last apply's answer was lost: a verification that finds the approved diff untouched means it
        /// never took effect, so sending it again is safe.
        public var applyOutcomeUnknown = false
        /// Applies sent for the current approval whose outcome was unknown and that did not take effect.
        public var unconfirmedApplies = 0
        /// Why Directus is expected to fail the latest plan's apply, when the plan predicts it.
        public var predictedFailure: String?
        /// A person accepted the predicted failure of the planned content (`approve --despite-warnings`).
        public var warningsAccepted = false
        /// Applies in a row that Directus refused for a stale hash, and when the last one was refused.
        public var staleAnswers = 0
        public var lastStaleAt: Date?

        public init() {}

        // Decoded leniently: memory written by an earlier version lacks the newer keys.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            approvedContentKey = try container.decodeIfPresent(String.self, forKey: .approvedContentKey)
            plannedContentKey = try container.decodeIfPresent(String.self, forKey: .plannedContentKey)
            plannedDestructive = try container.decodeIfPresent(Bool.self, forKey: .plannedDestructive) ?? false
            approvers = try container.decodeIfPresent([String].self, forKey: .approvers) ?? []
            destructiveAllowed = try container.decodeIfPresent(Bool.self, forKey: .destructiveAllowed) ?? false
            lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
            retryable = try container.decodeIfPresent(Bool.self, forKey: .retryable) ?? false
            applyOutcomeUnknown = try container.decodeIfPresent(Bool.self, forKey: .applyOutcomeUnknown) ?? false
            unconfirmedApplies = try container.decodeIfPresent(Int.self, forKey: .unconfirmedApplies) ?? 0
            predictedFailure = try container.decodeIfPresent(String.self, forKey: .predictedFailure)
            warningsAccepted = try container.decodeIfPresent(Bool.self, forKey: .warningsAccepted) ?? false
            staleAnswers = try container.decodeIfPresent(Int.self, forKey: .staleAnswers) ?? 0
            lastStaleAt = try container.decodeIfPresent(Date.self, forKey: .lastStaleAt)
        }
    }
}

extension PromotionStateMachine.Memory {
    /// The memory as stored in `promotion.machine` (JSON with sorted keys).
    public var stored: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads what `stored` wrote; nil when there is nothing (a promotion that has not moved yet) or it is unreadable.
    public init?(stored: String?) {
        guard let stored,
            let memory = try? JSONDecoder().decode(PromotionStateMachine.Memory.self, from: Data(stored.utf8))
        else { return nil }
        self = memory
    }
}
