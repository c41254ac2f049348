import ArgumentParser
import DirectusConfig
import DirectusSchema
import Foundation

/// `directus-promoter diff CURRENT DESIRED`: what Directus would change to turn CURRENT into DESIRED.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the changes that turn the CURRENT schema snapshot into the DESIRED one.",
        usage: "directus-promoter diff <current> <desired> [--mode <mode>] [options]",
        discussion: """
            Both files are Directus schema snapshots, JSON or YAML (chosen by content), as written by \
            GET /schema/snapshot or `directus schema snapshot`. The diff is exactly the one Directus computes \
            on POST /schema/diff when CURRENT is the target instance's schema: 11.13 to 12.x in mirror mode, \
            12.2+ in merge mode (--mode merge: nothing is deleted whole). A DESIRED with version: 2 is a \
            partial snapshot: only the collections it names are compared, as 12.2+ does. The plan's warnings \
            describe the apply of --directus-version (default 11.17.4; 12.4+ judges by root-level records).

            Given two folders, each a configuration export (the template CLI's, directus-sync's or Environment \
            Sync's), it shows the configuration plan instead: roles, policies, permissions, flows and the rest, \
            matched by logical keys, in the terms `plan` uses (--format text or json).

            Exit status: 0 no changes, 2 changes, 1 error (like `terraform plan -detailed-exitcode`).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// A readable plan.
        case text
        /// The exact Directus diff JSON.
        case directus
        /// The plan as JSON, for scripts.
        case json
    }

    @Argument(help: "The snapshot of the target as it is now.")
    var current: String

    @Argument(help: "The snapshot the target should have.")
    var desired: String

    @Option(help: "Output: text (a readable plan), directus (Directus's diff JSON) or json (the plan as JSON).")
    var format: Format = .text

    @Option(help: "mirror (delete what DESIRED lacks) or merge (12.2+: never delete a whole entity).")
    var mode: DiffMode = .mirror

    @Option(name: .customLong("directus-version"), help: "The target's release, for the plan's warnings.")
    var directusVersion = "11.17.4"

    func validate() throws {
        guard DirectusVersion(directusVersion) != nil else {
            throw ValidationError("--directus-version \(directusVersion): not a version like 12.4.0")
        }
    }

    @Option(help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    func run() throws {
        if Self.isDirectory(current) && Self.isDirectory(desired) { return try configurationDiff() }
        let currentSnapshot = try load(current)
        let desiredSnapshot = try load(desired)
        let diff = SnapshotDiffer.diff(current: currentSnapshot, after: desiredSnapshot, mode: mode)
        let version = DirectusVersion(directusVersion)
        switch format {
        case .directus:
            print(diff.json().jsonString)
        case .json:
            let plan = PlanBuilder.plan(diff, current: currentSnapshot, version: version)
            print(JSONWriter(layout: .indented("  ")).string(PlanRenderer.json(plan)))
        case .text:
            let plan = PlanBuilder.plan(diff, current: currentSnapshot, version: version)
            print(PlanRenderer.text(plan, color: color.enabled(forStandardOutput: true)), terminator: "")
        }
        if !diff.isEmpty { throw ExitStatus.changes }
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Two configuration exports: the plan that turns CURRENT's configuration into DESIRED's.
    private func configurationDiff() throws {
        let read = { (path: String) throws -> ConfigurationSnapshot in
            do {
                return ConfigNormalizer.snapshot(of: try ConfigExportReader.read(directory: path))
            } catch {
                throw CommandError("\(path): \(error)")
            }
        }
        let plan = ConfigPlanner.plan(desired: try read(desired), current: try read(current))
        switch format {
        case .directus:
            throw CommandError("--format directus is for schema snapshots; configuration exports take text or json")
        case .json:
            print(JSONWriter(layout: .indented("  ")).string(ConfigPlanRenderer.json(plan)))
        case .text:
            print(ConfigPlanRenderer.text(plan))
            if let reason = plan.blockingReason { print("\nBlocked: \(reason)") }
        }
        if !plan.isEmpty { throw ExitStatus.changes }
    }

    private func load(_ path: String) throws -> Snapshot {
        do {
            return try SnapshotLoader.load(contentsOfFile: path).snapshot
        } catch {
            throw CommandError(error.description)
        }
    }
}

extension DiffMode: ExpressibleByArgument {}
