import Foundation
import PromotionCore
import PromotionStore

/// Which promotion a rollback of an environment undoes, and why none can be.
public enum RollbackPlanner {
    /// Why an environment cannot be rolled back as asked.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The promotion whose pre-apply schema a rollback of `environment` restores: `promotionID` when given (it must
    /// have changed that environment), else the latest one that did.
    public static func candidate(
        environment: String, promotionID: Int64?, store: Store, configuration: DaemonConfiguration
    ) throws -> PromotionRecord {
        guard configuration.targets.contains(where: { $0.name == environment }) else {
            throw Refusal(
                description: "\(environment) is not a target in \(configuration.path): only targets can be rolled back")
        }
        guard let promotionID else {
            guard let found = try store.latestRollbackCandidate(environment: environment) else {
                throw Refusal(description: "no promotion has changed \(environment) yet: there is nothing to roll back")
            }
            return found
        }
        guard let found = try store.promotion(id: promotionID), found.target == environment else {
            throw Refusal(description: "no promotion \(promotionID) on \(environment)")
        }
        guard found.preApplySnapshotHash != nil, found.state == .applied else {
            throw Refusal(
                description: "promotion \(promotionID) changed nothing on \(environment) (it is \(found.state.words) "
                    + "with no pre-apply snapshot): there is nothing to roll back")
        }
        return found
    }
}
