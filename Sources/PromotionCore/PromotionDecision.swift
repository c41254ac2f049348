/// A person's decision about a promotion: what the CLI records and the engine feeds to the machine. The words for
/// each live here once, for every command, report and page that names one.
public enum PromotionDecision: String, Sendable, Equatable, CaseIterable, Codable {
    case approve, reject, retry, cancel

    /// `approved`, `rejected`, `retried`, `cancelled`.
    public var pastTense: String {
        switch self {
        case .approve: "approved"
        case .reject: "rejected"
        case .retry: "retried"
        case .cancel: "cancelled"
        }
    }

    /// `approves`, `rejects`, `retries`, `cancels`.
    public var presentTense: String {
        switch self {
        case .approve: "approves"
        case .reject: "rejects"
        case .retry: "retries"
        case .cancel: "cancels"
        }
    }

    /// What the audit log says when the engine takes it: `approved by alice`, `retry requested by bob`.
    public var auditVerb: String {
        switch self {
        case .approve: "approved"
        case .reject: "rejected"
        case .retry: "retry requested"
        case .cancel: "cancelled"
        }
    }

    /// The machine's event for this decision.
    public func event(
        actor: String, allowDestructive: Bool = false, despiteWarnings: Bool = false
    )
        -> PromotionStateMachine.Event
    {
        switch self {
        case .approve:
            .approvalRecorded(actor: actor, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings)
        case .reject: .rejectionRecorded(actor: actor)
        case .retry: .retryRequested(actor: actor)
        case .cancel: .cancelRequested(actor: actor)
        }
    }
}

extension PromotionStateMachine.State {
    /// Whether a promotion in this state takes `decision` (a state-level answer, for showing which decisions to
    /// offer; `PromotionStateMachine.check(_:)` gives the full answer for one promotion, such as a blocked plan
    /// that takes an approval given despite its predicted failure).
    public func accepts(_ decision: PromotionDecision) -> Bool {
        switch decision {
        case .approve, .reject: self == .awaitingApproval
        case .retry: self == .failed || self == .blocked
        case .cancel: !isFinal && self != .applying && self != .verifying
        }
    }

    /// The state as people read it: `awaiting approval`.
    public var words: String { rawValue.replacingOccurrences(of: "_", with: " ") }

    /// A person is needed: an approval, or a look at a failure or a block.
    public var needsAttention: Bool { [.awaitingApproval, .failed, .blocked].contains(self) }

    /// Every state that is not final: promotions still going somewhere.
    public static let open: Set<Self> = Set(allCases.filter { !$0.isFinal })

    /// States in which the daemon works on a promotion without waiting for anyone (found in one after a restart,
    /// it resumes).
    public static let working: Set<Self> = [.planning, .approved, .applying, .verifying, .stale]

    /// States in which a change to the target is in flight (the target is not checked for drift meanwhile).
    public static let changingTarget: Set<Self> = [.applying, .verifying]
}

extension PromotionStateMachine {
    /// What recording a decision would do to this promotion, decided by the machine itself (a dry run of its
    /// event): used by the CLI before it records anything and by the engine when it takes the decision.
    public enum DecisionCheck: Sendable, Equatable {
        /// The decision moves the promotion (to this state).
        case takesEffect(State)
        /// The decision counts but more is needed (another person's approval).
        case counted(String)
        /// The decision would change nothing: why, and the command that would work, if one would.
        case refused(reason: String, instead: String?)
    }

    /// What `decision` by `actor` would do now. `id` is only for the command suggested instead.
    public func check(
        _ decision: PromotionDecision, actor: String, allowDestructive: Bool = false, despiteWarnings: Bool = false,
        id: Int64
    ) -> DecisionCheck {
        var trial = self
        do {
            _ = try trial.handle(
                decision.event(actor: actor, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings))
        } catch {
            if decision == .approve, memory.predictedFailure != nil, !despiteWarnings,
                state == .blocked || state == .awaitingApproval
            {
                return .refused(
                    reason: "its plan predicts that Directus fails the apply (\(memory.predictedFailure ?? ""))",
                    instead: "directus-promoter approve \(id) --despite-warnings")
            }
            let need = State.allCases.filter { $0.accepts(decision) }.map(\.words).joined(separator: " or ")
            return .refused(
                reason: "it is \(state.words); only a promotion that is \(need) can be \(decision.pastTense)",
                instead: nil)
        }
        if trial.state != state { return .takesEffect(trial.state) }
        if decision == .approve, trial.approvers.count >= policy.requiredApprovals, trial.plannedDestructive,
            destructiveNeedsExplicitApproval, !trial.destructiveAllowed
        {
            return .refused(
                reason: "its plan deletes data and \(trial.memory.approvers.count > 1 ? "still " : "")needs an "
                    + "approval given with --allow-destructive",
                instead: "directus-promoter approve \(id) --allow-destructive")
        }
        if decision == .approve {
            return .counted("\(trial.approvers.count) of \(policy.requiredApprovals) approvals")
        }
        return .takesEffect(trial.state)
    }
}
/// A promotion's state, by its short name.
public typealias PromotionState = PromotionStateMachine.State
