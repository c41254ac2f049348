/// The environments in promotion order: a source (development) and the targets promoted from it in turn.
public struct Pipeline: Sendable, Equatable {
    /// Where changes are made and polled (development).
    public var source: String
    /// The targets in order (staging, production, …); each is promoted from the one before it.
    public var targets: [String]

    /// Why a list of environments is not a pipeline.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(source: String, targets: [String]) throws(Invalid) {
        guard !targets.isEmpty else {
            throw Invalid(description: "a pipeline needs at least one target after \(source)")
        }
        let all = [source] + targets
        if let repeated = all.first(where: { name in all.filter { $0 == name }.count > 1 }) {
            throw Invalid(description: "environment \(repeated) appears twice in the pipeline")
        }
        self.source = source
        self.targets = targets
    }

    /// The environment a target is promoted from: the source for the first target, else the target before it.
    public func upstream(of target: String) -> String? {
        guard let index = targets.firstIndex(of: target) else { return nil }
        return index == 0 ? source : targets[index - 1]
    }

    /// Whether revision R may start on `target`: the first target may start at once; any other only once R is
    /// applied and verified on its upstream environment.
    public func gateIsOpen(for target: String, appliedOnUpstream: Bool) -> Bool {
        guard let upstream = upstream(of: target) else { return false }
        return upstream == source || appliedOnUpstream
    }
}

/// How a target's promotions are approved.
public struct ApprovalPolicy: Sendable, Equatable {
    /// Automatic: a planned change goes ahead. Manual: it waits for `requiredApprovals` distinct people.
    public var requiredApprovals: Int

    public static let automatic = ApprovalPolicy(requiredApprovals: 0)
    public static func manual(approvals: Int = 1) -> ApprovalPolicy {
        ApprovalPolicy(requiredApprovals: max(1, approvals))
    }

    public var isAutomatic: Bool { requiredApprovals == 0 }

    /// The default: the first target (staging) automatic, later ones (production) manual with one approval.
    public static func defaultPolicy(forTargetAt index: Int) -> ApprovalPolicy {
        index == 0 ? .automatic : .manual()
    }
}
