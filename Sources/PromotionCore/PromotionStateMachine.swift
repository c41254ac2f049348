import Foundation

/// The life of one promotion: revision R carried to target T. A value that takes events and returns the
/// action the daemon must carry out; it does no I/O, so every (state, event) pair can be tested.
///
/// ```
/// queued → planning → awaitingApproval → approved → applying → verifying → applied
///                 ↘ applied (already in sync)   ↑ stale → planning (diff again)
/// ```
/// Exits: rejected, superseded, cancelled (final); failed (retry may help or not); blocked (needs a person).
public struct PromotionStateMachine: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable, Codable {
        /// Waiting for the gate: R is not yet applied and verified upstream.
        case queued
        /// Diffing the source schema against the target.
        case planning
        /// The plan has changes and waits for enough approvals.
        case awaitingApproval = "awaiting_approval"
        /// Approved (or automatic): about to take the pre-apply snapshot and diff again.
        case approved
        /// The apply is being sent.
        case applying
        /// Diffing again after the apply (or after an apply whose outcome is unknown).
        case verifying
        /// The target was changed by someone else since the diff: diff again.
        case stale
        /// Verified on the target. Final.
        case applied
        /// A person rejected it. Final.
        case rejected
        /// A newer revision replaced it before it started applying. Final.
        case superseded
        /// A person cancelled it. Final.
        case cancelled
        /// The apply was refused or did not take; `retryable` says whether trying again may help.
        case failed
        /// Needs a person: version or vendor mismatch without force, not an admin, wrong credentials.
        case blocked

        /// Final states take no more events.
        public var isFinal: Bool { [.applied, .rejected, .superseded, .cancelled].contains(self) }

        /// States a newer revision may still replace: nothing has been sent to the target yet.
        public var isSupersedable: Bool {
            [.queued, .planning, .awaitingApproval, .approved, .stale, .failed, .blocked].contains(self)
        }
    }

    /// What a diff against the target found.
    public enum PlanResult: Sendable, Equatable {
        /// 204: the target already has R.
        case inSync
        /// Changes; `contentKey` identifies the diff's content (not Directus's hash, which moves with any change).
        /// `predictedFailure` says why Directus is expected to fail the apply, when the plan predicts it: such a
        /// plan is never applied without a person accepting the prediction.
        case changes(contentKey: String, destructive: Bool, predictedFailure: String? = nil)
    }

    /// What sending the apply gave.
    public enum ApplyOutcome: Sendable, Equatable {
        /// 204: Directus applied it.
        case accepted
        /// The answer was lost (timeout, dropped connection): only a new diff can tell.
        case unknown
        /// Directus refused the diff's hash (its message) at `at`: the target changed since the diff, or says it did.
        case stale(reason: String, at: Date)
        /// Directus refused or failed it.
        case refused(reason: String, retryable: Bool)
    }

    public enum Event: Sendable, Equatable {
        /// R is applied and verified upstream (and any window or soak time allows it).
        case gateOpened
        case planned(PlanResult)
        /// The fresh diff taken right before applying.
        case preparedForApply(PlanResult)
        case applyFinished(ApplyOutcome)
        /// The diff after the apply (or after an apply whose outcome is unknown).
        case verified(PlanResult)
        /// A person's approval; `despiteWarnings` accepts a predicted apply failure.
        case approvalRecorded(actor: String, allowDestructive: Bool, despiteWarnings: Bool = false)
        case rejectionRecorded(actor: String)
        case cancelRequested(actor: String)
        case retryRequested(actor: String)
        case newerRevisionDetected
        /// The target changed behind our back (drift) while a plan waits for approval: plan again against what it
        /// really has.
        case targetChanged
        /// A condition that needs a person (mismatch, forbidden, credentials).
        case blockedBy(reason: String)
        /// A planning failure that is not transient (a transient one is simply tried again next tick).
        case planningFailed(reason: String, retryable: Bool)
    }

    /// What the daemon must do next.
    public enum Action: Sendable, Equatable {
        case none
        /// Diff the source snapshot against the target (POST /schema/diff) and report `planned`.
        case computeDiff
        /// Tell people an approval is needed.
        case requestApproval
        /// Take the target's pre-apply snapshot, diff again, and report `preparedForApply`.
        case prepareApply
        /// Send the apply with the fresh hash, once; report `applyFinished`.
        case apply
        /// Diff again; report `verified`.
        case verify
        /// The promotion ended; record and notify.
        case finish(State)
        /// The promotion needs a person; record and notify.
        case alert(String)
    }

    /// An event the current state does not take.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public var state: State
        public var event: Event
        /// Why, when there is more to say than the state.
        public var reason: String?
        public init(state: State, event: Event, reason: String? = nil) {
            self.state = state
            self.event = event
            self.reason = reason
        }
        public var description: String { reason ?? "a promotion that is \(state.rawValue) does not take \(event)" }
    }

    /// How many lost applies that did not take effect are sent again before giving up.
    public static let maxUnconfirmedApplies = 3

    /// How many applies in a row Directus may refuse for a stale hash before the promotion stops for a person: a
    /// target whose diff answers a hash that its apply then refuses would otherwise be re-planned for ever.
    public static let maxStaleAnswers = 3

    /// How long to wait before planning again after `answers` stale-hash refusals in a row: at once after the
    /// first (someone changed the target between the diff and the apply: the ordinary case), then 30 s.
    public static func staleRetryDelay(afterAnswers answers: Int) -> TimeInterval {
        answers <= 1 ? 0 : 30 * Double(1 << min(answers - 2, 10))
    }

    /// When a promotion that Directus refused for a stale hash may be planned again (nil: at once).
    public var staleRetryAt: Date? {
        guard state == .stale, let last = memory.lastStaleAt else { return nil }
        let delay = Self.staleRetryDelay(afterAnswers: memory.staleAnswers)
        return delay > 0 ? last.addingTimeInterval(delay) : nil
    }

    public var predictedFailure: String? { memory.predictedFailure }

    public private(set) var state: State
    public private(set) var memory: Memory
    public let policy: ApprovalPolicy
    public var approvedContentKey: String? { memory.approvedContentKey }
    public var plannedContentKey: String? { memory.plannedContentKey }
    public var plannedDestructive: Bool { memory.plannedDestructive }
    public var approvers: [String] { memory.approvers }
    public var destructiveAllowed: Bool { memory.destructiveAllowed }
    public var lastError: String? { memory.lastError }
    public var retryable: Bool { memory.retryable }
    /// Whether a destructive plan needs an explicit `--allow-destructive` approval.
    public let destructiveNeedsExplicitApproval: Bool

    public init(
        state: State = .queued, memory: Memory = Memory(), policy: ApprovalPolicy,
        destructiveNeedsExplicitApproval: Bool = false
    ) {
        self.state = state
        self.memory = memory
        self.policy = policy
        self.destructiveNeedsExplicitApproval = destructiveNeedsExplicitApproval
    }

    /// Feeds one event; returns the action, or throws when the state does not take the event.
    public mutating func handle(_ event: Event) throws(Rejection) -> Action {
        let reject = Rejection(state: state, event: event)
        if state.isFinal { throw reject }
        switch (state, event) {
        // A person may cancel, and a newer revision may replace, anything not yet sent.
        case (_, .cancelRequested) where state != .applying && state != .verifying:
            state = .cancelled
            return .finish(.cancelled)
        case (_, .newerRevisionDetected) where state.isSupersedable:
            state = .superseded
            return .finish(.superseded)
        case (_, .blockedBy(let reason)) where state != .applying && state != .verifying:
            state = .blocked
            memory.lastError = reason
            return .alert(reason)

        case (.queued, .gateOpened):
            state = .planning
            return .computeDiff

        case (.planning, .planned(let result)), (.stale, .planned(let result)):
            return plan(result)
        case (.planning, .planningFailed(let reason, let canRetry)),
            (.stale, .planningFailed(let reason, let canRetry)):
            state = .failed
            memory.lastError = reason
            memory.retryable = canRetry
            return .alert(reason)

        case (.awaitingApproval, .approvalRecorded(let actor, let allowDestructive, let despiteWarnings)),
            (.blocked, .approvalRecorded(let actor, let allowDestructive, let despiteWarnings))
        where state == .awaitingApproval || (memory.predictedFailure != nil && memory.plannedContentKey != nil):
            if memory.predictedFailure != nil && !memory.warningsAccepted && !despiteWarnings {
                throw Rejection(
                    state: state, event: event,
                    reason: "the plan predicts that Directus fails the apply (\(memory.predictedFailure ?? "")); "
                        + "approve with --despite-warnings to send it anyway")
            }
            if despiteWarnings { memory.warningsAccepted = true }
            if !memory.approvers.contains(actor) { memory.approvers.append(actor) }
            memory.destructiveAllowed = destructiveAllowed || allowDestructive
            if approvers.count >= policy.requiredApprovals && (!needsDestructiveConsent || destructiveAllowed) {
                state = .approved
                memory.approvedContentKey = plannedContentKey
                memory.lastError = nil
                return .prepareApply
            }
            if state == .blocked {
                state = .awaitingApproval
                memory.lastError = nil
                return .requestApproval
            }
            return .none
        case (.awaitingApproval, .targetChanged):
            state = .planning
            return .computeDiff
        case (.awaitingApproval, .rejectionRecorded):
            state = .rejected
            return .finish(.rejected)

        case (.approved, .preparedForApply(.inSync)):
            state = .applied
            return .finish(.applied)
        case (.approved, .preparedForApply(.changes(let key, let destructive, let predicted))):
            if key == approvedContentKey {
                state = .applying
                return .apply
            }
            // The target moved: what would be applied is not what was approved.
            memory.plannedContentKey = key
            memory.plannedDestructive = destructive
            memory.predictedFailure = predicted
            return requireApprovalAgain()

        case (.applying, .applyFinished(.accepted)):
            state = .verifying
            memory.applyOutcomeUnknown = false
            memory.staleAnswers = 0
            memory.lastStaleAt = nil
            return .verify
        case (.applying, .applyFinished(.unknown)):
            state = .verifying
            memory.applyOutcomeUnknown = true
            return .verify
        case (.applying, .applyFinished(.stale(let reason, let at))):
            memory.staleAnswers += 1
            memory.lastStaleAt = at
            if memory.staleAnswers >= Self.maxStaleAnswers {
                state = .blocked
                memory.lastError =
                    "Directus refused the diff's hash \(memory.staleAnswers) times in a row, each time right after a "
                    + "fresh diff; its answer: \"\(reason)\". Check that nothing rewrites the target's schema "
                    + "continuously and that every Directus node behind its URL runs the same schema, then retry"
                return .alert(memory.lastError ?? "")
            }
            state = .stale
            return .computeDiff
        case (.applying, .applyFinished(.refused(let reason, let canRetry))):
            state = .failed
            memory.lastError = reason
            memory.retryable = canRetry
            return .alert(reason)

        case (.verifying, .verified(.inSync)):
            state = .applied
            memory.applyOutcomeUnknown = false
            return .finish(.applied)
        case (.verifying, .verified(.changes(let key, _, _)))
        where memory.applyOutcomeUnknown && key == approvedContentKey
            && memory.unconfirmedApplies + 1 < Self.maxUnconfirmedApplies:
            // The answer was lost and the target still shows exactly the approved diff: the apply never took
            // effect, so sending it again cannot apply it twice.
            memory.unconfirmedApplies += 1
            memory.applyOutcomeUnknown = false
            state = .approved
            return .prepareApply
        case (.verifying, .verified(.changes(let key, let destructive, _))):
            state = .failed
            memory.plannedContentKey = key
            memory.plannedDestructive = destructive
            memory.lastError =
                memory.applyOutcomeUnknown && key == approvedContentKey
                ? "the apply's answer was lost \(Self.maxUnconfirmedApplies) times and it never took effect"
                : "the target still differs after the apply"
            memory.applyOutcomeUnknown = false
            memory.retryable = true
            return .alert(memory.lastError ?? "")

        case (.failed, .retryRequested), (.blocked, .retryRequested):
            state = .planning
            memory.lastError = nil
            memory.retryable = false
            memory.unconfirmedApplies = 0
            memory.staleAnswers = 0
            memory.lastStaleAt = nil
            return .computeDiff

        default:
            throw reject
        }
    }

    private var needsDestructiveConsent: Bool { destructiveNeedsExplicitApproval && plannedDestructive }

    /// A fresh plan: in sync ends it; changes wait for approval unless the policy (and the destructive rule)
    /// let them go ahead, or they are exactly what was already approved.
    private mutating func plan(_ result: PlanResult) -> Action {
        switch result {
        case .inSync:
            state = .applied
            return .finish(.applied)
        case .changes(let key, let destructive, let predicted):
            let samePlan = key == memory.plannedContentKey
            memory.plannedContentKey = key
            memory.plannedDestructive = destructive
            memory.predictedFailure = predicted
            if key == approvedContentKey {
                state = .approved
                return .prepareApply
            }
            return requireApprovalAgain(keepingApprovers: samePlan)
        }
    }

    /// Approvals are for a plan's content: they carry over only when the content is the same.
    private mutating func requireApprovalAgain(keepingApprovers: Bool = false) -> Action {
        if !keepingApprovers {
            memory.approvers = []
            memory.destructiveAllowed = false
            memory.warningsAccepted = false
        }
        memory.approvedContentKey = nil
        if let predicted = memory.predictedFailure, !memory.warningsAccepted {
            // Never applied on a policy's say-so: a person looks at the prediction first.
            state = .blocked
            memory.lastError =
                "the plan predicts that Directus fails the apply: \(predicted); review it with `show`, then "
                + "approve with --despite-warnings to send it anyway, or change the source"
            return .alert(memory.lastError ?? "")
        }
        if policy.isAutomatic && !needsDestructiveConsent {
            state = .approved
            memory.approvedContentKey = plannedContentKey
            return .prepareApply
        }
        state = .awaitingApproval
        return .requestApproval
    }
}
