import DirectusClient
import PromotionCore

extension DirectusClientError {
    /// The failure as the promotion rules see it (`FailureClass.of` decides what it means).
    public var cause: FailureCause {
        switch self {
        case .unreachable: .unreachable
        case .timeout: .timeout
        case .budgetExhausted: .budgetExhausted
        case .cancelled: .cancelled
        case .redirected: .redirected
        case .unauthorized(let expired, _): .unauthorized(expired: expired)
        case .forbidden: .forbidden
        case .payloadRejected: .payloadRejected
        case .versionMismatch: .versionMismatch
        case .vendorMismatch: .vendorMismatch
        case .staleHash: .staleHash
        case .conflict: .conflict
        case .applyFailed: .applyFailed
        case .applyOutcomeUnknown: .applyOutcomeUnknown
        case .serverError(let status, _): .serverError(status: status)
        case .rateLimited(let retryAfter): .rateLimited(retryAfter: retryAfter)
        case .responseTooLarge: .tooLarge
        case .uploadTooLarge: .uploadTooLarge
        case .malformedResponse: .malformedAnswer
        }
    }
}
