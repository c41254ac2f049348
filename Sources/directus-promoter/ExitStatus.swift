import ArgumentParser
import PromotionDaemon

/// The exit statuses of every command, named once (`docs/operations.md` lists them). The daemon's own follow
/// sysexits(3), so that systemd's `RestartPreventExitStatus=` can tell a condition a restart cannot fix.
enum ExitStatus {
    /// 1: a command failed (an instance refused, a check failed).
    static let failure = ExitCode.failure
    /// 2: `diff`, `plan`: there are changes.
    static let changes = ExitCode(2)
    /// 3: `status`, `poll`, `drift`: something needs a person.
    static let attention = ExitCode(3)
    /// 65 (EX_DATAERR): the state database is damaged; restore it (docs/operations.md).
    static let damagedState = ExitCode(65)
    /// 73 (EX_CANTCREAT): the state directory or its database cannot be created.
    static let cannotCreate = ExitCode(73)
    /// 74 (EX_IOERR): the state directory or its database cannot be read or written.
    static let ioError = ExitCode(74)
    /// 75 (EX_TEMPFAIL): another daemon holds the state directory.
    static let locked = ExitCode(75)
    /// 78 (EX_CONFIG): the configuration is invalid, or a secret it names cannot be read.
    static let configuration = ExitCode(78)

    /// Every status with its meaning, for the man page.
    static let all: [(Int32, String)] = [
        (0, "Success: in sync, no changes, the decision recorded."),
        (1, "An error: an instance refused, an online check failed, a decision that would change nothing."),
        (2, "Changes found (diff, plan)."),
        (3, "Something needs a person (status, poll, drift list)."),
        (65, "EX_DATAERR: the state database is damaged (run, poll, check-config --deep)."),
        (73, "EX_CANTCREAT: the state directory cannot be created."),
        (74, "EX_IOERR: the state directory, its lock or its database cannot be opened."),
        (75, "EX_TEMPFAIL: another daemon holds the state directory."),
        (78, "EX_CONFIG: the configuration is invalid, or a secret it names cannot be read."),
    ]

    /// The status for a session that cannot start.
    static func of(_ refusal: DaemonSession.Refusal) -> ExitCode {
        switch refusal.kind {
        case .configuration: configuration
        case .locked: locked
        case .cannotCreate: cannotCreate
        case .io: ioError
        case .damaged: damagedState
        }
    }
}
