import ArgumentParser
import Foundation
import PromotionDaemon

/// `directus-promoter manual`: the man page, built from the same definitions as `--help`.
struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print the man page (roff), e.g. into /usr/local/share/man/man1/directus-promoter.1.",
        discussion: "Every command's section is its --help text, so the page never disagrees with the program.")

    func run() {
        print(Self.page(date: Date()))
    }

    static func page(date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "MMMM yyyy"
        let root = DirectusPromoter.configuration
        var lines = [
            ".TH DIRECTUS-PROMOTER 1 \"\(formatter.string(from: date))\" \"directus-promoter \(root.version)\" \"User Commands\"",
            ".SH NAME",
            "directus-promoter \\- \(escape(root.abstract))",
            ".SH SYNOPSIS",
            ".B directus-promoter",
            ".I command",
            "[\\fIoptions\\fR]",
            ".SH DESCRIPTION",
            escape(
                "A daemon that carries Directus schema changes from a development instance to staging and production: "
                    + "it polls the source's schema, records each new one as a revision, and promotes "
                    + "approved diffs through a persisted state machine. The same binary is the command-line tool "
                    + "operators use to see and decide."),
            ".PP",
            escape(root.discussion),
            ".SH COMMANDS",
        ]
        for command in root.subcommands {
            let name = command.configuration.commandName ?? "\(command)"
            guard command.configuration.shouldDisplay else { continue }
            lines.append(".SS \(name)")
            lines.append(".nf")
            lines.append(escape(DirectusPromoter.helpMessage(for: command, columns: 80)))
            lines.append(".fi")
        }
        lines += [
            ".SH CONFIGURATION",
            escape(
                "The configuration is a YAML file. Durations are written 90 (seconds), 500ms, 30s, 5m, 1h, 1h30m or 2d; "
                    + "secrets are read from files or variables (the _file and _env keys), never required inline. "
                    + "Every key, with its default:"),
        ]
        for key in ConfigurationKeys.all {
            lines += [
                ".TP",
                "\\fB\(escape(key.path))\\fR" + (key.defaultValue.isEmpty ? "" : " (\(escape(key.defaultValue)))"),
                escape(key.meaning),
            ]
        }
        lines.append(".SH EXIT STATUS")
        for (code, meaning) in ExitStatus.all {
            lines += [".TP", "\(code)", escape(meaning)]
        }
        lines += [
            ".SH FILES",
            ".TP", "/etc/directus-promoter/config.yaml",
            "The configuration (or --config, or $DIRECTUS_PROMOTER_CONFIG).",
            ".TP", "/var/lib/directus-promoter/state.sqlite", "History, promotions, decisions and the audit log.",
            ".TP", "/var/lib/directus-promoter/daemon.lock", "The single-instance lock; holds the daemon's pid.",
            ".SH SIGNALS",
            ".TP", "SIGTERM, SIGINT", "Stop after the step in progress.",
            ".TP", "SIGHUP", "Reload the configuration; a bad one is refused and the running one kept.",
            ".TP", "SIGUSR1", "Run a tick now (the decision commands send it).",
            ".SH SEE ALSO",
            escape(
                "directus-promoter COMMAND --help; /usr/share/doc/directus-promoter/ (README.md and "
                    + "config.yaml.example, a commented configuration); the project's docs/ directory "
                    + "(configuration.md, operations.md, state-machine.md)."),
        ]
        return lines.joined(separator: "\n")
    }

    /// Text safe for roff: backslashes doubled, lines starting with . or ' protected.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e").split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line) }
            .joined(separator: "\n")
    }
}
