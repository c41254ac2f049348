import ArgumentParser

/// The `directus-promoter` command: the daemon and the tools around it.
@main
struct DirectusPromoter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directus-promoter",
        abstract: "Carry Directus schema changes from development to staging and production, safely.",
        discussion: """
            Exit status: 0 success (or no changes), 1 error, 2 changes found (diff), 3 something needs attention \
            (status, poll), 75 another daemon holds the state directory, 78 a configuration error.
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, RunCommand.self, StatusCommand.self, HistoryCommand.self, ShowCommand.self,
            ApproveCommand.self,
            RejectCommand.self, RetryCommand.self, CancelCommand.self, ReplanCommand.self, RollbackCommand.self,
            PlanCommand.self,
            PollCommand.self,
            SnapshotsCommand.self, SnapshotCommand.self, DriftCommand.self, ConfigCommand.self, CheckConfigCommand.self,
            DiffCommand.self,
            ManualCommand.self,
            EmulatorCommand.self,
        ]
    )
}
