import DirectusClient
import DirectusConfig
import DirectusSchema

/// Sends a `ConfigPlan` to a target, step by step (each write atomic on the instance, none together: CONFIG-SPEC
/// section 7), and when a step fails, compensates: removes what the apply created, puts back the fields it changed,
/// and re-creates what it deleted, from the rows read right before the apply; then says what it could and could not
/// restore.
public enum ConfigurationApplier {
    public struct Report: CompensatedApply {
        public let phase = "configuration"
        /// What was written, in words (`created role:Editor`).
        public var done: [String] = []
        /// The step that failed and Directus's answer; nil when every step went through.
        public var failure: String?
        /// Ids the target gave the records the apply created, by logical key.
        public var created: [String: (kind: ConfigKind, id: String)] = [:]
        /// What compensation put back.
        public var undone: [String] = []
        /// What compensation could not put back, and why.
        public var notUndone: [String] = []
    }

    /// Applies `plan`; `before` is the target's configuration as read when the plan was made (the rows
    /// compensation restores).
    public static func apply(
        _ plan: ConfigPlan, before: ConfigExport, on client: DirectusClient
    ) async -> Report {
        var report = Report()
        var ids = plan.targetIDs
        var executed: [(step: ConfigPlan.Step, id: String?)] = []
        for step in plan.steps {
            let id = step.targetID ?? ids[step.key]
            do {
                let body = try step.resolvedBody(ids: ids)
                switch (step.action, step.kind) {
                case (_, .settings):
                    try await client.write(.settings(body), to: .settings)
                case (.create, _):
                    let row = try await client.write(.create(body), to: step.kind)
                    guard let created = row?["id"].flatMap({ $0.stringValue ?? $0.jsonString }) else {
                        throw DirectusClientError.malformedResponse(
                            detail: "\(step.kind.collection) answered a create without the new record's id")
                    }
                    ids[step.key] = created
                    report.created[step.key] = (step.kind, created)
                    executed.append((step, created))
                    report.done.append("created \(step.key)")
                    continue
                case (.delete, _):
                    guard let id else { throw ConfigPlan.Step.Unresolved(key: step.key, reference: step.key) }
                    try await client.write(.delete(id: id), to: step.kind)
                case (.update, _), (.link, _), (.unlink, _):
                    guard let id else { throw ConfigPlan.Step.Unresolved(key: step.key, reference: step.key) }
                    try await client.write(.update(id: id, body), to: step.kind)
                }
                executed.append((step, id))
                report.done.append("\(words(step.action)) \(step.key)")
            } catch {
                report.failure = "\(words(step.action)) \(step.key) (\(step.kind.collection)): \(error)"
                await compensate(executed, before: before, on: client, &report)
                return report
            }
        }
        return report
    }

    static func words(_ action: ConfigPlan.Step.Action) -> String {
        switch action {
        case .create: "created"
        case .update: "updated"
        case .link: "linked"
        case .unlink: "unlinked"
        case .delete: "deleted"
        }
    }

    static func id(_ row: JSONObject) -> String? { row["id"].flatMap { $0.stringValue ?? $0.jsonString } }

    /// Puts the target back as `before` had it, as far as it can.
    static func compensate(
        _ executed: [(step: ConfigPlan.Step, id: String?)], before: ConfigExport, on client: DirectusClient,
        _ report: inout Report
    ) async {
        func row(_ kind: ConfigKind, _ id: String?) -> JSONObject? {
            guard let id else { return nil }
            if kind == .settings { return before.rows[.settings]?.first }
            return before.rows[kind]?.first { Self.id($0) == id }
        }
        // 1. Fields changed on records that existed: their earlier values (latest change first).
        for (step, id) in executed.reversed() where step.action != .create && step.action != .delete {
            guard let original = row(step.kind, id) else { continue }
            let previous = ConfigRestore.previousValues(of: original, fields: step.body.keys)
            guard !previous.isEmpty else { continue }
            do {
                if step.kind == .settings {
                    try await client.write(.settings(previous), to: .settings)
                } else if let id {
                    try await client.write(.update(id: id, previous), to: step.kind)
                }
                let fields = previous.keys.sorted().joined(separator: ", ")
                let entry = "restored \(fields) of \(step.key)"
                if !report.undone.contains(entry) { report.undone.append(entry) }
            } catch {
                report.notUndone.append("\(step.key)'s \(previous.keys.sorted().joined(separator: ", ")): \(error)")
            }
        }
        // 2. Records the apply created: removed, children first.
        for (step, id) in executed.reversed() where step.action == .create {
            guard let id else { continue }
            do {
                try await client.write(.delete(id: id), to: step.kind)
                report.undone.append("removed \(step.key), which the apply had created")
            } catch {
                report.notUndone.append("\(step.key) (created as \(id)) could not be removed: \(error)")
            }
        }
        // 3. Records gone since (deleted by the apply, or by a cascade of it): created again, parents first.
        guard executed.contains(where: { $0.step.action == .delete }) else { return }
        let kinds = Array(before.rows.keys).sorted()
        let now: ConfigExport
        do {
            now = try await client.configuration(kinds)
        } catch {
            report.notUndone.append("what the apply deleted: the target could not be read again (\(error))")
            return
        }
        var relinks: [(ConfigKind, String, JSONObject)] = []
        for kind in kinds where kind != .settings {
            let present = Set((now.rows[kind] ?? []).compactMap(Self.id))
            for original in before.rows[kind] ?? [] {
                guard let oldID = Self.id(original), !present.contains(oldID),
                    original["user"] == nil
                        || original["user"] == .null
                else { continue }
                let label = "\(kind.collection) \(oldID)"
                do {
                    let created = try await client.write(
                        .create(ConfigRestore.recreateBody(of: original, kind: kind)), to: kind)
                    let newID = created.flatMap(Self.id) ?? oldID
                    let links = ConfigRestore.links(of: original, kind: kind)
                    if !links.isEmpty { relinks.append((kind, newID, links)) }
                    report.undone.append(
                        newID == oldID
                            ? "re-created \(label)"
                            : "re-created \(label) as \(newID) (an integer id is the instance's to assign)")
                } catch {
                    report.notUndone.append("\(label) could not be re-created: \(error)")
                }
            }
        }
        for (kind, id, links) in relinks {
            do {
                try await client.write(.update(id: id, links), to: kind)
            } catch {
                report.notUndone.append(
                    "\(kind.collection) \(id): \(links.keys.sorted().joined(separator: ", ")) not set again: \(error)")
            }
        }
    }
}

/// The account of a phase of an apply that writes step by step and compensates a failed step (the configuration's,
/// the reference data's): what was written, what failed, what was undone and what could not be.
public protocol CompensatedApply: Sendable {
    /// `configuration`, `reference data`.
    var phase: String { get }
    var done: [String] { get }
    var failure: String? { get }
    var undone: [String] { get }
    var notUndone: [String] { get }
}

extension CompensatedApply {
    /// The audit's account of a failed apply: what failed, what was undone, what was not.
    public var summary: String {
        var parts: [String] = []
        if let failure { parts.append("the \(phase) apply failed at \(failure)") }
        if !done.isEmpty { parts.append("written before it: \(done.joined(separator: ", "))") }
        if !undone.isEmpty { parts.append("undone: \(undone.joined(separator: "; "))") }
        if !notUndone.isEmpty { parts.append("could not undo: \(notUndone.joined(separator: "; "))") }
        if failure != nil && done.isEmpty { parts.append("nothing had been written") }
        return parts.joined(separator: "; ")
    }
}
