import DirectusSchema

/// Configuration an environment owns: left out of its configuration diffs, plans and drift, on both sides.
///
/// A pattern is `kind:name` (`role:Editor`, `policy:Marketing*`, `flow:Nightly export`, `dashboard:KPIs`): the
/// records of that kind whose logical key or `name` matches (`*` matches any run of characters), with everything
/// keyed under them (a role's access rows, a policy's permissions, a flow's operations, a dashboard's panels); or
/// `settings.field` (`settings.project_name`, `settings.auth_*`): those fields of the settings.
public struct ConfigIgnore: Sendable, Equatable {
    public var patterns: [String]

    public init(_ patterns: [String]) { self.patterns = patterns.filter(Self.isConfigurationPattern) }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether `pattern` names configuration (the other patterns of an `ignore` list name schema).
    public static func isConfigurationPattern(_ pattern: String) -> Bool {
        if pattern.hasPrefix("settings.") { return true }
        guard let colon = pattern.firstIndex(of: ":") else { return false }
        return ConfigKind(rawValue: String(pattern[..<colon])) != nil
            && colon != pattern.index(before: pattern.endIndex)
    }

    /// Both sides without what the patterns name (a record named on either side is left out of both).
    public func apply(
        desired: ConfigurationSnapshot, current: ConfigurationSnapshot
    ) -> (desired: ConfigurationSnapshot, current: ConfigurationSnapshot) {
        guard !isEmpty else { return (desired, current) }
        var roots = Set<String>()
        for entity in Array(desired.entities.values) + Array(current.entities.values) where matches(entity) {
            roots.insert(entity.key)
        }
        return (strip(desired, roots: roots), strip(current, roots: roots))
    }

    /// One side alone (drift of an environment against what it is expected to have).
    public func apply(to snapshot: ConfigurationSnapshot) -> ConfigurationSnapshot {
        apply(desired: snapshot, current: snapshot).desired
    }

    func matches(_ entity: ConfigEntity) -> Bool {
        patterns.contains { pattern in
            guard let colon = pattern.firstIndex(of: ":"), !pattern.hasPrefix("settings.") else { return false }
            guard String(pattern[..<colon]) == entity.kind.rawValue else { return false }
            let glob = String(pattern[pattern.index(after: colon)...])
            let name = String(entity.key.dropFirst(entity.kind.rawValue.count + 1))
            let base = name.split(separator: "#", maxSplits: 1).first.map(String.init) ?? name
            return Glob.matches(glob, name) || Glob.matches(glob, base)
                || (entity.fields["name"]?.stringValue).map { Glob.matches(glob, $0) } == true
        }
    }

    func strip(_ snapshot: ConfigurationSnapshot, roots: Set<String>) -> ConfigurationSnapshot {
        var copy = snapshot
        copy.entities = snapshot.entities.filter { key, _ in !roots.contains { Self.isUnder(key, $0) } }
        copy.ambiguous = snapshot.ambiguous.filter { key, _ in !roots.contains { Self.isUnder(key, $0) } }
        let fieldPatterns = patterns.filter { $0.hasPrefix("settings.") }.map { String($0.dropFirst(9)) }
        if !fieldPatterns.isEmpty, var settings = copy.entities["settings"], var object = settings.fields.objectValue {
            for field in object.keys where fieldPatterns.contains(where: { Glob.matches($0, field) }) {
                object.removeValue(forKey: field)
            }
            settings.fields = .object(object)
            copy.entities["settings"] = settings
        }
        return copy
    }

    /// Whether `key` is `root` or keyed under it (`access:role:Editor→…`, `operation:flow:…/key`).
    static func isUnder(_ key: String, _ root: String) -> Bool {
        if key == root { return true }
        var search = key[...]
        while let range = search.range(of: root) {
            let before = range.lowerBound == key.startIndex ? nil : key[key.index(before: range.lowerBound)]
            let after = range.upperBound == key.endIndex ? nil : key[range.upperBound]
            let opens = before == nil || before == ":" || before == "→"
            let closes = after == nil || after == "→" || after == "/" || after == "#"
            if opens && closes { return true }
            search = key[range.upperBound...]
        }
        return false
    }
}
