import DirectusEmulator
import Foundation
import PromotionDaemon
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The systemd unit and the install path: verified, scored, installed into a DESTDIR, and run as the unit runs it.
@Suite("systemd and install", .serialized)
struct SystemdTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let unit = repository.appendingPathComponent("systemd/directus-promoter.service")

    /// Runs a tool to completion off the cooperative pool.
    static func tool(
        _ path: String, _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            if let directory { process.currentDirectoryURL = directory }
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }

    /// The unit's `ExecStart=` words after the binary.
    static func execStartArguments() throws -> [String] {
        let text = try String(contentsOf: unit, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ExecStart=") }) else {
            throw HarnessError("no ExecStart= in the unit")
        }
        return line.dropFirst("ExecStart=".count).split(separator: " ").dropFirst().map(String.init)
    }

    @Test("systemd-analyze verifies the unit, and its exposure score is 2.0 or lower")
    func analyze() async throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), ".ci/run installs systemd")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The installed unit names the installed binary; here, the binary under test.
        let text = try String(contentsOf: Self.unit, encoding: .utf8).replacingOccurrences(
            of: "ExecStart=/usr/local/bin/directus-promoter ", with: "ExecStart=\(Binary.executable.path) ")
        let copy = directory.appendingPathComponent("directus-promoter.service")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        let verify = try await Self.tool(analyze, ["verify", "--man=no", copy.path])
        #expect(verify.status == 0)
        #expect(verify.output.isEmpty, "\(verify.output)")
        let security = try await Self.tool(analyze, ["security", "--offline=true", copy.path])
        let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = line.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }
        let exposure = try #require(score, "\(line)")
        #expect(exposure <= 2.0, "exposure \(exposure)")
        print("systemd-analyze security: exposure \(exposure)")
    }

    @Test("make install puts everything in DESTDIR, keeps an edited config, and make uninstall removes it again")
    func install() async throws {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("destdir-\(UUID())")
        defer { try? FileManager.default.removeItem(at: destination) }
        let arguments = ["install", "DESTDIR=\(destination.path)", "PREFIX=/usr", "BINARY=\(Binary.executable.path)"]
        let first = try await Self.tool("/usr/bin/make", arguments, directory: Self.repository)
        #expect(first.status == 0, "\(first.output)")
        let root = destination.path
        let manager = FileManager.default
        func mode(_ path: String) -> Int? {
            (try? manager.attributesOfItem(atPath: root + path))?[.posixPermissions] as? Int
        }
        #expect(mode("/usr/bin/directus-promoter") == 0o755)
        #expect(mode("/usr/lib/systemd/system/directus-promoter.service") == 0o644)
        #expect(mode("/etc/directus-promoter/config.yaml") == 0o644)
        #expect(mode("/etc/directus-promoter/credentials") == 0o700)
        for path in [
            "/etc/directus-promoter/config.yaml.example", "/usr/share/man/man1/directus-promoter.1",
            "/usr/share/bash-completion/completions/directus-promoter",
            "/usr/share/zsh/site-functions/_directus-promoter",
            "/usr/share/fish/vendor_completions.d/directus-promoter.fish",
        ] {
            #expect(mode(path) == 0o644, "\(path)")
        }
        let unit = try String(
            contentsOfFile: root + "/usr/lib/systemd/system/directus-promoter.service", encoding: .utf8)
        #expect(
            unit.contains("\nExecStart=/usr/bin/directus-promoter run --config /etc/directus-promoter/config.yaml\n"))
        let manual = try String(contentsOfFile: root + "/usr/share/man/man1/directus-promoter.1", encoding: .utf8)
        #expect(manual.hasPrefix(".TH DIRECTUS-PROMOTER 1"))
        // The installed example configuration is valid as shipped.
        #expect(throws: Never.self) { try ConfigurationReader.load(path: root + "/etc/directus-promoter/config.yaml") }

        // An edited configuration survives a second install.
        let config = root + "/etc/directus-promoter/config.yaml"
        try "# edited by the operator\n".write(toFile: config, atomically: true, encoding: .utf8)
        let second = try await Self.tool("/usr/bin/make", arguments, directory: Self.repository)
        #expect(second.status == 0)
        #expect(second.output.contains("keeping"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "# edited by the operator\n")

        let uninstall = try await Self.tool(
            "/usr/bin/make", ["uninstall", "DESTDIR=\(destination.path)", "PREFIX=/usr"], directory: Self.repository)
        #expect(uninstall.status == 0)
        #expect(!manager.fileExists(atPath: root + "/usr/bin/directus-promoter"))
        #expect(!manager.fileExists(atPath: root + "/usr/lib/systemd/system/directus-promoter.service"))
        #expect(manager.fileExists(atPath: config), "the configuration is kept")
    }

    @Test(
        "make deb packages what was built: files, modes, conffiles, control, maintainer scripts, a unit that verifies")
    func debianPackage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deb-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let make = try await Self.tool(
            "/usr/bin/make",
            ["deb", "BINARY=\(Binary.executable.path)", "DEBDIR=\(directory.path)", "DEBCOMPRESS=gzip"],
            directory: Self.repository)
        #expect(make.status == 0, "\(make.output.suffix(2000))")
        let packages = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".deb")
        }
        let package = directory.appendingPathComponent(try #require(packages.first)).path
        #expect(packages.first?.hasPrefix("directus-promoter_0.1.0_") == true)

        let fields = try await Self.tool("/usr/bin/dpkg-deb", ["-f", package])
        #expect(fields.output.contains("Package: directus-promoter"))
        #expect(fields.output.contains("Depends: libc6"))
        #expect(fields.output.contains("libsqlite3-0") && fields.output.contains("libzstd1"))
        #expect(
            !["@VERSION@", "@ARCH@", "@DEPENDS@", "@SIZE@"].contains { fields.output.contains($0) },
            "every placeholder filled: \(fields.output)")
        let listing = try await Self.tool("/usr/bin/dpkg-deb", ["-c", package])
        func entry(_ path: String) -> String? {
            listing.output.split(separator: "\n").first { $0.hasSuffix(" ." + path) }.map(String.init)
        }
        #expect(entry("/usr/bin/directus-promoter")?.hasPrefix("-rwxr-xr-x root/root") == true)
        #expect(entry("/etc/directus-promoter/config.yaml")?.hasPrefix("-rw-r--r-- root/root") == true)
        #expect(entry("/etc/directus-promoter/credentials/")?.hasPrefix("drwx------ root/root") == true)
        #expect(entry("/lib/systemd/system/directus-promoter.service")?.hasPrefix("-rw-r--r--") == true)
        for path in [
            "/usr/share/man/man1/directus-promoter.1.gz", "/usr/share/bash-completion/completions/directus-promoter",
            "/usr/share/zsh/site-functions/_directus-promoter",
            "/usr/share/fish/vendor_completions.d/directus-promoter.fish",
            "/usr/share/doc/directus-promoter/config.yaml.example",
        ] {
            #expect(entry(path) != nil, "\(path)")
        }

        // Unpacked into a scratch root: the conffile, the scripts, the unit.
        let root = directory.appendingPathComponent("root").path
        #expect(try await Self.tool("/usr/bin/dpkg-deb", ["-x", package, root]).status == 0)
        let control = directory.appendingPathComponent("control").path
        #expect(try await Self.tool("/usr/bin/dpkg-deb", ["-e", package, control]).status == 0)
        #expect(
            try String(contentsOfFile: control + "/conffiles", encoding: .utf8)
                == "/etc/directus-promoter/config.yaml\n")
        for script in ["postinst", "prerm", "postrm"] {
            let path = control + "/" + script
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(script)")
            #expect(try await Self.tool("/bin/sh", ["-n", path]).status == 0, "\(script) parses")
        }
        let unit = try String(contentsOfFile: root + "/lib/systemd/system/directus-promoter.service", encoding: .utf8)
        #expect(
            unit.contains("\nExecStart=/usr/bin/directus-promoter run --config /etc/directus-promoter/config.yaml\n"))
        #expect(unit.contains("\nDynamicUser=yes\n") && unit.contains("\nStateDirectory=directus-promoter\n"))
        // Verified as installed, its binary the one unpacked.
        let verifiable = directory.appendingPathComponent("directus-promoter.service")
        try unit.replacingOccurrences(
            of: "ExecStart=/usr/bin/directus-promoter ", with: "ExecStart=\(root)/usr/bin/directus-promoter "
        ).write(to: verifiable, atomically: true, encoding: .utf8)
        let verify = try await Self.tool("/usr/bin/systemd-analyze", ["verify", "--man=no", verifiable.path])
        #expect(verify.status == 0 && verify.output.isEmpty, "\(verify.output)")
        // The packaged configuration is valid as shipped, and the packaged binary says so.
        let check = try await Self.tool(
            root + "/usr/bin/directus-promoter",
            ["check-config", "--config", root + "/etc/directus-promoter/config.yaml"])
        #expect(check.output.contains("ok") || check.output.contains("cannot read the secret"), "\(check.output)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") {
            let lintian = try await Self.tool("/usr/bin/lintian", ["--no-tag-display-limit", package])
            #expect(!lintian.output.split(separator: "\n").contains { $0.hasPrefix("E:") }, "\(lintian.output)")
        }
    }

    @Test("make install never builds: without a built binary it says what to run")
    func installNeverBuilds() async throws {
        let install = try await Self.tool(
            "/usr/bin/make", ["install", "DESTDIR=/nonexistent-destdir", "BINARY=/nonexistent/directus-promoter"],
            directory: Self.repository)
        #expect(install.status != 0)
        #expect(install.output.contains("is not built: run 'make' (as yourself, not root), then 'sudo make install'"))
    }

    @Test("the binary run as the unit runs it: credentials from $CREDENTIALS_DIRECTORY, READY, reload, stop")
    func runsAsTheUnitDoes() async throws {
        try await withDaemonHarness { h in
            // Credentials as LoadCredential=directus:/etc/directus-promoter/credentials hands them over.
            let credentials = h.directory + "/credentials"
            try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
            for name in ["development", "staging", "production"] {
                try daemonToken.write(
                    toFile: "\(credentials)/directus_\(name)-token", atomically: true, encoding: .utf8)
            }
            let config = h.directory + "/unit-config.yaml"
            try """
            poll: {interval: 200ms, jitter: 0}
            state_directory: \(h.stateDirectory)
            environments:
              - {name: development, url: "\(h.urls["development"]!)", token_file: $CREDENTIALS_DIRECTORY/directus_development-token}
              - {name: staging, url: "\(h.urls["staging"]!)", token_file: $CREDENTIALS_DIRECTORY/directus_staging-token}
              - {name: production, url: "\(h.urls["production"]!)", token_file: $CREDENTIALS_DIRECTORY/directus_production-token}
            """.write(toFile: config, atomically: true, encoding: .utf8)
            var arguments = try Self.execStartArguments()
            #expect(arguments == ["run", "--config", "/etc/directus-promoter/config.yaml"])
            if let index = arguments.firstIndex(of: "--config") { arguments[index + 1] = config }

            let socket = try NotifySocket(path: h.directory + "/notify.sock")
            let process = Process()
            process.executableURL = Binary.executable
            process.arguments = arguments
            process.environment = [
                "PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": credentials, "NOTIFY_SOCKET": socket.path,
                "WATCHDOG_USEC": "60000000", "JOURNAL_STREAM": "8:12345", "INVOCATION_ID": UUID().uuidString,
            ]
            let log = Pipe()
            process.standardError = log
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            let ready = try await socket.receive(timeout: 20) { $0.contains { $0.hasPrefix("READY=1") } }
            #expect(ready.contains { $0.hasPrefix("READY=1") }, "\(ready)")
            #expect(try await eventually(20) { h.latest("staging")?.state == .applied }, "it serves")

            // ExecReload= sends SIGHUP.
            kill(process.processIdentifier, SIGHUP)
            let reloading = try await socket.receive(timeout: 10) { $0.contains { $0.hasPrefix("RELOADING=1") } }
            #expect(reloading.contains { $0.hasPrefix("RELOADING=1") })
            // systemctl stop sends SIGTERM.
            kill(process.processIdentifier, SIGTERM)
            let stopping = try await socket.receive(timeout: 10) { $0.contains { $0.hasPrefix("STOPPING=1") } }
            #expect(stopping.contains("STOPPING=1\nSTATUS=stopping after the step in progress"), "\(stopping)")
            let output = try await offThePool {
                String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            }
            #expect(try await stop(process) == 0)
            let afterwards = try await socket.receive(timeout: 0.3) { _ in false }
            #expect(!afterwards.contains { $0.hasPrefix("STOPPING=1") }, "STOPPING=1 is sent once")
            // journald format: a syslog priority prefix, no timestamp; never the token.
            let lines = output.split(separator: "\n")
            #expect(!lines.isEmpty)
            #expect(lines.allSatisfy { $0.hasPrefix("<") }, "\(output.prefix(500))")
            #expect(output.contains("<5>notice: configuration reloaded"))
            #expect(!output.contains(daemonToken))
        }
    }
}
