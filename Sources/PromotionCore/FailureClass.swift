import DirectusSchema
import Foundation

/// What went wrong with a request to an instance, as much as the promotion rules need to know (the client's typed
/// errors map onto it in one place).
public enum FailureCause: Sendable, Equatable {
    /// No connection, a dropped one, a TLS failure.
    case unreachable
    /// No whole answer within the request timeout.
    case timeout
    /// The environment's time for this tick ran out.
    case budgetExhausted
    /// 429 after the retries, with the wait the instance asked for when it said.
    case rateLimited(retryAfter: Duration?)
    /// 5xx or another status the client does not expect.
    case serverError(status: Int)
    /// 401: wrong credentials (`expired`: a session that could not be renewed).
    case unauthorized(expired: Bool)
    /// 403: valid credentials that are not an admin's.
    case forbidden
    /// Directus refuses the snapshot's version or vendor (without `force`).
    case versionMismatch, vendorMismatch
    /// A redirect that is not followed.
    case redirected
    /// 400 for the payload itself (the snapshot or the diff).
    case payloadRejected
    /// An answer that is not what Directus sends, or larger than the limit.
    case malformedAnswer, tooLarge
    /// The instance refuses uploads this large (`IMPORT_MAX_FILE_SIZE`, `MAX_PAYLOAD_SIZE`): its setting must be
    /// raised.
    case uploadTooLarge
    /// The apply: the diff's hash is out of date, or a conflict says the target changed.
    case staleHash, conflict
    /// The apply failed in Directus's database step.
    case applyFailed
    /// The apply was sent and its answer lost.
    case applyOutcomeUnknown
    /// Abandoned by the daemon itself (a shutdown, a reload).
    case cancelled
}

/// What a failure means for the promotion, decided in one place for every step (in the spirit of Flux's
/// reconcile results: transient, waiting, stalled).
public enum FailureClass: Sendable, Equatable {
    /// Passes by itself: the promotion stays where it is and the step is tried again next tick.
    case transient
    /// As transient, but not before this time (the instance said when).
    case waitingUntil(Date)
    /// Needs a person (credentials, rights, versions, a redirect): the promotion is blocked.
    case stalled
    /// The step failed; trying it again may help (`retryable`) or not.
    case refused(retryable: Bool)
    /// The apply found the target changed since the diff: plan again.
    case staleTarget
    /// The apply's answer was lost: only a new diff can tell what happened.
    case outcomeUnknown
    /// Nothing happened to the instance; nothing is recorded.
    case cancelled

    /// The step of a promotion a failure happened in.
    public enum Step: Sendable, Equatable {
        /// Planning: the target's snapshot and a diff.
        case plan
        /// The fresh diff right before applying.
        case prepare
        /// The diff after an apply.
        case verify
        /// The apply itself.
        case apply
    }

    /// What `cause`, met during `step` at `now`, means.
    public static func of(_ cause: FailureCause, during step: Step, now: Date) -> FailureClass {
        if cause == .cancelled { return .cancelled }
        if step == .apply {
            switch cause {
            case .staleHash, .conflict: return .staleTarget
            case .applyOutcomeUnknown, .timeout, .unreachable: return .outcomeUnknown
            case .applyFailed, .payloadRejected, .versionMismatch, .vendorMismatch: return .refused(retryable: false)
            case .uploadTooLarge: return .refused(retryable: true)
            default: return .refused(retryable: true)
            }
        }
        switch cause {
        case .versionMismatch, .vendorMismatch, .forbidden, .unauthorized(expired: false), .redirected, .uploadTooLarge:
            // A verification never blocks: the apply is done, and it is tried again when the instance answers.
            return step == .verify ? .transient : .stalled
        case .payloadRejected, .malformedAnswer, .tooLarge:
            return step == .plan ? .refused(retryable: false) : .transient
        case .rateLimited(let retryAfter?):
            return .waitingUntil(now.addingTimeInterval(retryAfter.seconds))
        default:
            return .transient
        }
    }
}
