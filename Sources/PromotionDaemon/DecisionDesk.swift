import Foundation
import PromotionCore
import PromotionStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where people's decisions are taken in: asked of the promotion's own machine first (`check`), recorded only when
/// they would do something, and the running daemon told. The CLI and the web view both record through it.
public enum DecisionDesk {
    /// What recording a decision did.
    public struct Receipt: Sendable {
        public var decision: DecisionRecord
        public var promotion: PromotionRecord
        public var check: PromotionStateMachine.DecisionCheck
        /// Whether a running daemon was told (it acts at once); otherwise it acts at its next tick.
        public var daemonTold: Bool
    }

    /// Why a decision was not recorded.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func record(
        _ kind: PromotionDecision, promotionID id: Int64, actor: String, comment: String?, allowDestructive: Bool,
        despiteWarnings: Bool, store: Store, configuration: DaemonConfiguration, at: Date
    ) throws -> Receipt {
        guard let promotion = try store.promotion(id: id) else { throw Refusal(description: "no promotion \(id)") }
        let machine = try configuration.engineConfiguration().machine(for: promotion)
        let check = machine.check(
            kind, actor: actor, allowDestructive: allowDestructive, despiteWarnings: despiteWarnings, id: id)
        if case .refused(let reason, let instead) = check {
            throw Refusal(
                description: "promotion \(id) cannot be \(kind.pastTense): \(reason); nothing was recorded"
                    + (instead.map { ". To go ahead: \($0)" } ?? ""))
        }
        let decision = try store.recordDecision(
            promotionID: id, kind: kind, actor: actor, comment: comment, allowDestructive: allowDestructive,
            despiteWarnings: despiteWarnings, at: at)
        return Receipt(
            decision: decision, promotion: promotion, check: check,
            daemonTold: poke(stateDirectory: configuration.stateDirectory))
    }

    /// Plans a rejected or cancelled promotion's revision again (`replan ID`): a new revision of the same schema,
    /// which the next tick promotes to every target like any other. Only the source's latest revision can be
    /// planned again (a newer one carries the change already); a rollback is asked for again with `rollback`.
    public static func replan(
        promotionID id: Int64, actor: String, comment: String?, store: Store, configuration: DaemonConfiguration,
        at: Date
    ) throws -> (revision: RevisionRecord, daemonTold: Bool) {
        guard let promotion = try store.promotion(id: id) else { throw Refusal(description: "no promotion \(id)") }
        guard promotion.state == .rejected || promotion.state == .cancelled else {
            throw Refusal(
                description: "promotion \(id) is \(promotion.state.words); only a rejected or cancelled promotion can "
                    + "be planned again"
                    + (promotion.state.accepts(.retry)
                        ? " (a \(promotion.state.words) one: directus-promoter retry \(id))" : ""))
        }
        guard let revision = try store.revision(id: promotion.revisionID) else {
            throw Refusal(description: "the revision of promotion \(id) is missing")
        }
        guard revision.environment == configuration.source.name else {
            throw Refusal(
                description: "promotion \(id) was a rollback of \(promotion.target); ask for it again with: "
                    + "directus-promoter rollback \(promotion.target)")
        }
        if let latest = try store.latestRevision(environment: configuration.source.name), latest.id != revision.id,
            latest.snapshotHash != revision.snapshotHash
        {
            throw Refusal(
                description:
                    "revision r\(latest.id) is newer than r\(revision.id) and carries \(configuration.source.name)'s "
                    + "schema as it is now: it is promoted instead")
        }
        let replanned = try store.replanRevision(of: promotion, actor: actor, comment: comment, at: at)
        return (replanned, poke(stateDirectory: configuration.stateDirectory))
    }

    /// Asks a running daemon (the holder of the state directory's lock) to tick now, so that a decision is acted
    /// on at once rather than at the next poll. Only a process that really holds the lock, and is the process the
    /// lock file names (same pid, same start time), is signalled. Returns whether a daemon was told.
    @discardableResult
    public static func poke(stateDirectory: String) -> Bool {
        guard let pid = InstanceLock.holder(directory: stateDirectory)?.pid else { return false }
        return kill(pid, SIGUSR1) == 0
    }

    /// The Unix user running the command, recorded as the actor of decisions (`alice`, or `root (sudo by alice)`).
    public static func localUser(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var name = "uid \(getuid())"
        if let entry = getpwuid(getuid()), let pointer = entry.pointee.pw_name {
            name = String(cString: pointer)
        }
        if name == "root", let sudo = environment["SUDO_USER"], !sudo.isEmpty {
            return "root (sudo by \(sudo))"
        }
        return name
    }
}
