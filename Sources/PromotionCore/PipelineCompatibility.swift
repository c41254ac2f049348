/// Whether each step of a pipeline can be promoted across the Directus versions and database vendors its
/// environments run: Directus refuses a diff between different versions or vendors unless `force` is sent.
public enum PipelineCompatibility {
    /// What an environment was found to run.
    public struct Seen: Sendable, Equatable {
        public var name: String
        public var version: String?
        public var vendor: String?
        /// The environment is forced (`force: true`): it takes snapshots of other versions and vendors.
        public var force: Bool

        public init(name: String, version: String?, vendor: String?, force: Bool) {
            self.name = name
            self.version = version
            self.vendor = vendor
            self.force = force
        }
    }

    /// One line per step that Directus would refuse, naming both sides and the way out.
    public static func problems(along pipeline: [Seen]) -> [String] {
        var problems: [String] = []
        for (upstream, target) in zip(pipeline, pipeline.dropFirst()) where !target.force {
            if let from = upstream.version, let to = target.version, from != to {
                problems.append(
                    "\(upstream.name) → \(target.name): Directus \(from) vs \(to): Directus refuses the diff unless the "
                        + "versions match; upgrade one, or set force: true on \(target.name)")
            }
            if upstream.version != nil, target.version != nil, upstream.vendor != target.vendor {
                problems.append(
                    "\(upstream.name) → \(target.name): \(upstream.vendor ?? "?") vs \(target.vendor ?? "?"): Directus "
                        + "refuses the diff across database vendors unless force: true is set on \(target.name)")
            }
        }
        return problems
    }
}
