import ArgumentParser

/// The `directus-promoter` command: the daemon and the tools around it.
@main
struct DirectusPromoter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directus-promoter",
        abstract: "Carry Directus schema changes from development to staging and production, safely.",
        discussion: """
            Exit status: 0 success (or no changes), 1 error, 2 changes found (diff).
            """,
        version: "0.1.0",
        subcommands: [DiffCommand.self, EmulatorCommand.self]
    )
}
