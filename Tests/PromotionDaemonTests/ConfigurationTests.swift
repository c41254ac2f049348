import DirectusClient
import DirectusContent
import Foundation
import PromotionCore
import PromotionDaemon
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func read(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        var reader = ConfigurationReader(file: "test.yaml")
        return try reader.read(text)
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try read(text)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test("the commented example in config/ is valid and means what its comments say")
    func example() throws {
        let path = Self.repository.appendingPathComponent("config/directus-promoter.yaml").path
        let (configuration, _) = try ConfigurationReader.load(path: path)
        #expect(configuration.environments.map(\.name) == ["development", "staging", "production"])
        #expect(configuration.pollInterval == .seconds(60))
        #expect(configuration.pollJitter == 0.1)
        #expect(configuration.stateDirectory == "/var/lib/directus-promoter")
        let production = configuration.environments[2]
        #expect(production.approval == .manual(approvals: 1))
        #expect(production.destructive == .approve)
        #expect(
            production.credentials
                == .login(
                    email: "schema-bot@example.com",
                    password: .file(
                        "$CREDENTIALS_DIRECTORY/directus_production-password")))
        #expect(configuration.environments[1].approval == .automatic)
        #expect(configuration.environments[1].requestTimeout == .seconds(60))
        #expect(production.retry.initialDelay == .milliseconds(500))
        #expect(try configuration.pipeline.targets == ["staging", "production"])
    }

    @Test("defaults: staging automatic, later targets manual, 60 s polls")
    func defaults() throws {
        let configuration = try read(
            """
            environments:
              - {name: dev, url: "http://localhost:8055", token_env: DEV_TOKEN}
              - {name: stage, url: "http://localhost:8056", token_env: STAGE_TOKEN}
              - {name: qa, url: "http://localhost:8057", token_env: QA_TOKEN}
              - {name: prod, url: "https://cms.example.com", token_file: /run/credentials/prod}
            """)
        #expect(configuration.environments.map(\.approval) == [.automatic, .automatic, .manual(), .manual()])
        #expect(configuration.pollInterval == .seconds(60))
        #expect(configuration.environments[3].credentials == .token(.file("/run/credentials/prod")))
    }

    @Test("each problem names the file, line and column, and all are reported at once")
    func locatedProblems() {
        let found = problems(
            """
            poll:
              interval: soon
            environments:
              - name: development
                url: http://localhost:8055
                token_env: DEV_TOKEN
              - name: staging
                url: htp//staging
                token_env: STAGING_TOKEN
                aproval: manual
            """)
        #expect(
            found == [
                "test.yaml:2:13: poll.interval: not a duration (for example 30s, 5m, 1h or 500ms)",
                "test.yaml:8:10: environments[1].url: not a valid URL (for example https://cms.example.com)",
                "test.yaml:10:5: environments[1].aproval: unknown key (did you mean approval?)",
            ])
    }

    @Test("unknown top-level keys get a suggestion; unrelated ones list the known keys")
    func unknownKeys() {
        #expect(
            problems("enviroments: []\n").first
                == "test.yaml:1:1: enviroments: unknown key (did you mean environments?)")
        let unrelated = problems("colour: blue\nenvironments: []\n")
        #expect(unrelated.first?.hasPrefix("test.yaml:1:1: colour: unknown key (known keys: poll,") == true)
    }

    @Test(
        "invalid values are refused with a reason",
        arguments: [
            (
                "environments:\n  - {name: dev, url: 'http://a', token_env: A}\n",
                "needs a source and at least one target"
            ),
            (
                "environments:\n  - {name: dev, url: 'http://a', token_env: A}\n  - {name: dev, url: 'http://b', token_env: B}\n",
                "environments[1].name: is already the name of environments[0]"
            ),
            (
                "environments:\n  - {name: dev, url: 'http://a'}\n  - {name: p, url: 'http://b', token_env: B}\n",
                "no credentials"
            ),
            (
                "environments:\n  - {name: dev, url: 'http://a', token_env: A, token_file: /f}\n  - {name: p, url: 'http://b', token_env: B}\n",
                "give only one of token, token_env, token_file"
            ),
            (
                "environments:\n  - {name: Dev!, url: 'http://a', token_env: A}\n  - {name: p, url: 'http://b', token_env: B}\n",
                "environments[0].name: is not a valid name"
            ),
            (
                "environments:\n  - {name: d, url: 'http://a', token_env: A, approval: manual}\n  - {name: p, url: 'http://b', token_env: B}\n",
                "the source (the first environment) is never promoted to"
            ),
            (
                "environments:\n  - {name: d, url: 'http://a', token_env: A}\n  - {name: p, url: 'http://b', token_env: B, approval: sometimes}\n",
                "environments[1].approval: must be automatic or manual"
            ),
            (
                "environments:\n  - {name: d, url: 'http://user:pw@a', token_env: A}\n  - {name: p, url: 'http://b', token_env: B}\n",
                "must not hold credentials"
            ),
            ("state_directory: relative/dir\nenvironments: []\n", "must be an absolute path"),
            ("log: {level: loud}\nenvironments: []\n", "log.level: is not a log level"),
            ("environments: [\n", "not valid YAML"),
            ("- just\n- a list\n", "must be a mapping"),
        ])
    func invalid(text: String, expected: String) {
        let found = problems(text)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
        #expect(found.allSatisfy { $0.hasPrefix("test.yaml:") })
    }

    @Test("promote and configuration.collections: opt-in, named explicitly, with the parents their records refer to")
    func configurationPromotion() throws {
        let environments = """
            environments:
              - {name: development, url: "http://localhost:8055", token_env: DEV_TOKEN}
              - name: staging
                url: "http://localhost:8056"
                token_env: STAGING_TOKEN
                ignore: [articles.body, "role:Editor", "flow:Nightly export", settings.project_name]
            """
        #expect(try read(environments).configurationKinds.isEmpty, "the schema alone by default")
        let configuration = try read(
            "promote: [schema, configuration]\nconfiguration:\n  collections: [roles, policies, access, permissions]\n"
                + environments)
        #expect(configuration.configurationKinds == [.role, .policy, .access, .permission])
        let engine = try configuration.engineConfiguration()
        #expect(engine.configurationKinds == [.role, .policy, .access, .permission])
        // Each promoted collection is read at every step: one more request of time per tick for each.
        #expect(engine.settings("staging").tickBudget == .seconds(60) * 7)
        #expect(try read(environments).engineConfiguration().settings("staging").tickBudget == .seconds(180))
        #expect(
            engine.configIgnore(for: "staging").patterns == [
                "role:Editor", "flow:Nightly export", "settings.project_name",
            ])
        // Configuration patterns are never collections (nor sent as excludeCollections).
        #expect(!engine.ignoreRules(for: "staging").matches(collection: "role:Editor", field: nil))
        #expect(
            problems("promote: [schema, configuration]\n" + environments).first?.hasPrefix(
                "test.yaml:1:10: promote: includes configuration but configuration.collections does not say which")
                == true)
        #expect(
            problems("promote: [configuration]\nconfiguration: {collections: [roles]}\n" + environments).first?
                .contains("promote: must include schema") == true)
        let missing = problems(
            "promote: [schema, configuration]\nconfiguration: {collections: [permissions, widgets]}\n" + environments)
        #expect(missing.contains { $0.contains("configuration.collections[1]: is not a configuration collection") })
        #expect(missing.contains { $0.contains("permissions refer to policies, which must be promoted with them") })
        #expect(
            problems("configuration: {collections: [roles]}\n" + environments).first?.contains(
                "is set but promote does not include configuration") == true)
        #expect(
            problems(environments.replacingOccurrences(of: "\"role:Editor\"", with: "\"widget:Editor\"")).first?
                .contains("names no kind of configuration (widget)") == true)
    }

    @Test("promote and content.collections: opt-in, a name or a rule each, limits bounded, system collections refused")
    func contentPromotion() throws {
        let environments = """
            environments:
              - {name: development, url: "http://localhost:8055", token_env: DEV_TOKEN}
              - {name: staging, url: "http://localhost:8056", token_env: STAGING_TOKEN}
            """
        #expect(try read(environments).contentRules.isEmpty, "no reference data by default")
        let configuration = try read(
            """
            promote: [schema, content]
            content:
              max_rows: 500
              collections:
                - countries
                - {collection: cities, identity: name, policy: mirror, ignore: [population]}
                - {collection: categories, identity: [parent, slug], policy: insert-only}

            """ + environments)
        #expect(
            configuration.contentRules == [
                ContentRule(collection: "countries"),
                ContentRule(collection: "cities", identity: ["name"], policy: .mirror, ignoreFields: ["population"]),
                ContentRule(collection: "categories", identity: ["parent", "slug"], policy: .insertOnly),
            ])
        #expect(configuration.contentLimits == ContentLimits(maxRows: 500))
        let engine = try configuration.engineConfiguration()
        #expect(engine.promotesContent && !engine.promotesConfiguration)
        // Each collection is read at every step: one more request of time per tick for each.
        #expect(engine.settings("staging").tickBudget == .seconds(60) * 6)
        #expect(
            problems("promote: [schema, content]\n" + environments).first?.contains(
                "promote: includes content but content.collections does not say which") == true)
        #expect(
            problems("content: {collections: [countries]}\n" + environments).first?.contains(
                "is set but promote does not include content") == true)
        let bad = problems(
            """
            promote: [schema, content]
            content:
              max_rows: 0
              collections: [directus_roles, countries, countries, {collection: x, policy: sync}, {identity: code}]

            """ + environments)
        #expect(bad.contains { $0.contains("content.max_rows: must be between 1 and 1000000") }, "\(bad)")
        #expect(bad.contains { $0.contains("content.collections[0]: is a system collection") }, "\(bad)")
        #expect(bad.contains { $0.contains("content.collections[2]: countries appears twice") }, "\(bad)")
        #expect(bad.contains { $0.contains("content.collections[3].policy: is not a policy") }, "\(bad)")
        #expect(bad.contains { $0.contains("content.collections[4]: needs collection") }, "\(bad)")
        #expect(bad.allSatisfy { $0.hasPrefix("test.yaml:") })
    }

    @Test("http.decisions: one source of credentials, only with http.listen; the file's lines are checked at start")
    func webDecisions() throws {
        let environments = """
            environments:
              - {name: development, url: "http://localhost:8055", token_env: DEV_TOKEN}
              - {name: staging, url: "http://localhost:8056", token_env: STAGING_TOKEN}
            """
        #expect(
            problems("http:\n  decisions:\n    credentials_env: WEB\n" + environments) == [
                "test.yaml:3:5: http.decisions: needs http.listen: the web view serves the decisions"
            ])
        #expect(
            problems("http:\n  listen: 127.0.0.1:9464\n  decisions: {}\n" + environments).first?.contains(
                "http.decisions: names no credentials") == true)
        #expect(
            problems(
                "http:\n  listen: 127.0.0.1:9464\n  decisions: {credentials_env: A, credentials_file: /b}\n"
                    + environments
            ).first?.contains("give only one of credentials_file and credentials_env") == true)
        let configuration = try read(
            "http:\n  listen: 127.0.0.1:9464\n  decisions: {credentials_env: WEB}\n" + environments)
        let good = try configuration.deciders(processEnvironment: [
            "WEB": "# who decides\nalice:correct horse battery\n\nbob:another long secret"
        ])
        #expect(good?.keys.sorted() == ["alice", "bob"])
        for (text, reason) in [
            // Each value is registered with the process's redactor when read: none may be a word other tests print.
            ("zq-line-without-colon", "line 1 is not name:password"), ("zqname:zq-tiny", "shorter than 12 characters"),
            ("z q:correct horse battery", "a name has letters"), ("# zq names nobody", "it names nobody"),
        ] {
            #expect(throws: Secret.ResolutionError.self) {
                _ = try configuration.deciders(processEnvironment: ["WEB": text])
            }
            let problems = configuration.secretProblems(processEnvironment: [
                "WEB": text, "DEV_TOKEN": "x", "STAGING_TOKEN": "y",
            ])
            #expect(problems.contains { $0.contains(reason) && $0.contains("test.yaml:3:") }, "\(problems)")
            #expect(!problems.joined().contains("correct horse"), "never the secret")
        }
        #expect(try read(environments).deciders() == nil, "off by default")
    }

    @Test("durations read as operators write them")
    func durations() {
        #expect(ConfigurationReader.parseDuration("90") == .seconds(90))
        #expect(ConfigurationReader.parseDuration("500ms") == .milliseconds(500))
        #expect(ConfigurationReader.parseDuration("1h30m") == .seconds(5400))
        #expect(ConfigurationReader.parseDuration("2d") == .seconds(172_800))
        #expect(ConfigurationReader.parseDuration("soon") == nil)
        #expect(ConfigurationReader.parseDuration("5 parsecs") == nil)
    }

    @Test("a secret written in a world-readable configuration gets a warning, and never appears in it")
    func worldReadableSecret() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = "s3cr3t-token-value-9f1c"
        try """
        environments:
          - {name: dev, url: 'http://a', token: \(secret)}
          - {name: prod, url: 'http://b', token_env: PROD}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let (_, warnings) = try ConfigurationReader.load(path: path)
        #expect(warnings.contains { $0.contains("readable by every user") })
        #expect(warnings.contains { $0.contains("a secret written in the configuration") })
        #expect(!warnings.joined().contains(secret))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let (_, private600) = try ConfigurationReader.load(path: path)
        #expect(!private600.contains { $0.contains("readable by every user") })
    }

    @Test("a missing file is one clear problem")
    func missingFile() {
        #expect(throws: ConfigurationError.self) { try ConfigurationReader.load(path: "/nonexistent/config.yaml") }
    }

    @Test("a secret that cannot be read names the environment and the source, never a value")
    func unreadableSecret() throws {
        let configuration = try read(
            """
            environments:
              - {name: dev, url: 'http://a', token_env: DEV_TOKEN_UNSET}
              - {name: prod, url: 'http://b', token_file: /nonexistent/token}
            """)
        #expect(throws: Secret.ResolutionError.self) {
            try configuration.endpoint(for: configuration.environments[0], processEnvironment: [:])
        }
        do {
            _ = try configuration.endpoint(for: configuration.environments[1], processEnvironment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description == "cannot read the secret from file /nonexistent/token: no such file or not readable"
            )
        }
    }
}

@Suite("Configuration: safety policies")
struct PolicyConfigurationTests {
    func read(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        var reader = ConfigurationReader(file: "policies.yaml")
        return try reader.read(text)
    }

    @Test("destructive, ignore, system_indexes, windows and soak are read, with their defaults")
    func policies() throws {
        let configuration = try read(
            """
            environments:
              - {name: dev, url: "http://a", token_env: A, ignore: [scratch_*]}
              - {name: staging, url: "http://b", token_env: B}
              - name: prod
                url: https://c
                token_env: C
                destructive: never
                ignore: [analytics_*, articles.view_count]
                system_indexes: manage
                soak: 2h
                windows:
                  - {days: mon-fri, hours: "09:00-17:00", timezone: Europe/Berlin}
                  - {days: [sat, sun], hours: "22:00-02:00"}
            """)
        let staging = configuration.environments[1]
        let production = configuration.environments[2]
        #expect(staging.destructive == .allow)
        #expect(production.destructive == .never)
        #expect(production.ignore.patterns == ["analytics_*", "articles.view_count"])
        #expect(configuration.environments[0].ignore.patterns == ["scratch_*"])
        #expect(production.manageSystemIndexes && !staging.manageSystemIndexes)
        #expect(production.soak == .seconds(7200))
        #expect(production.windows.count == 2)
        #expect(production.windows[0].days == Set(1...5))
        #expect(production.windows[0].timeZone.identifier == "Europe/Berlin")
        #expect(production.windows[1].days == [6, 7])
        #expect(production.windows[1].start == 22 * 60 && production.windows[1].end == 120)
        let settings = try configuration.engineConfiguration().settings("prod")
        #expect(settings.destructive == .never && settings.soak == .seconds(7200))
        // Later targets default to explicit approval of destructive plans.
        let defaults = try read(
            """
            environments:
              - {name: dev, url: "http://a", token_env: A}
              - {name: staging, url: "http://b", token_env: B}
              - {name: prod, url: "http://c", token_env: C}
            """)
        #expect(defaults.environments[2].destructive == .approve)
    }

    @Test(
        "policy mistakes are located and explained",
        arguments: [
            ("destructive: sometimes", "destructive: must be allow, approve or never"),
            ("destructive: aprove", "did you mean approve?"),
            ("ignore: articles", "must be a list of patterns"),
            ("ignore: [a.b.c]", "ignore[0]: is not a pattern"),
            ("system_indexes: drop", "must be keep or manage"),
            ("windows: [{days: someday}]", "days: is not a set of days"),
            ("windows: [{hours: 9-5}]", "hours: is not a time range"),
            ("windows: [{timezone: Mars/Olympus}]", "timezone: is not a known time zone"),
            ("windows: [{dayz: mon}]", "did you mean days?"),
            ("soak: forever", "not a duration"),
        ])
    func mistakes(line: String, expected: String) {
        let text = """
            environments:
              - {name: dev, url: "http://a", token_env: A}
              - name: prod
                url: "http://c"
                token_env: C
                \(line)
            """
        do {
            _ = try read(text)
            Issue.record("expected a problem for \(line)")
        } catch {
            #expect(error.problems.contains { $0.description.contains(expected) }, "\(error.problems)")
            #expect(error.problems.allSatisfy { $0.line == 6 }, "\(error.problems)")
        }
    }

    @Test("the source takes no target policies")
    func sourcePolicies() {
        do {
            _ = try read(
                """
                environments:
                  - {name: dev, url: "http://a", token_env: A, destructive: never, soak: 1h}
                  - {name: prod, url: "http://c", token_env: C}
                """)
            Issue.record("expected problems")
        } catch {
            #expect(error.problems.filter { $0.message.contains("never promoted to") }.count == 2)
        }
    }
}

@Suite("Configuration: notifications and the HTTP endpoint")
struct NotificationConfigurationTests {
    func read(_ text: String) throws(ConfigurationError) -> (DaemonConfiguration, [String]) {
        var reader = ConfigurationReader(file: "hooks.yaml")
        let configuration = try reader.read(text)
        return (configuration, reader.warnings)
    }

    static let environments = """
        environments:
          - {name: dev, url: "http://a", token_env: A}
          - {name: prod, url: "http://c", token_env: C}
        """

    @Test("webhooks and http are read; off by default")
    func read() throws {
        let (plain, _) = try read(Self.environments)
        #expect(plain.webhooks.isEmpty && plain.http == nil)
        let (configuration, warnings) = try read(
            Self.environments + """

                http:
                  listen: 127.0.0.1:9464
                webhooks:
                  - name: slack
                    url_file: /run/credentials/slack-url
                    format: slack
                    events: [approval_needed, failed, drift_detected]
                  - name: audit
                    url: https://audit.example.com/hooks/directus
                    secret_env: AUDIT_SECRET
                """)
        #expect(configuration.http == DaemonConfiguration.HTTPEndpoint(host: "127.0.0.1", port: 9464))
        #expect(configuration.webhooks.map(\.name) == ["slack", "audit"])
        #expect(configuration.webhooks[0].format == .slack)
        #expect(configuration.webhooks[0].kinds == [.approvalNeeded, .failed, .driftDetected])
        #expect(configuration.webhooks[0].url == .file("/run/credentials/slack-url"))
        #expect(configuration.webhooks[1].kinds == Set(WebhookConfiguration.Kind.allCases))
        #expect(configuration.webhooks[1].secret == .environment("AUDIT_SECRET"))
        #expect(warnings.isEmpty)
        let (open, openWarnings) = try read(Self.environments + "\nhttp: {listen: \"0.0.0.0:9464\"}\n")
        #expect(open.http?.host == "0.0.0.0")
        #expect(openWarnings.contains { $0.contains("beyond this machine") })
    }

    @Test(
        "webhook mistakes are located",
        arguments: [
            ("webhooks: [{url: \"http://h\"}]", "webhooks[0].name: is required"),
            ("webhooks: [{name: a}]", "is required (url, url_env or url_file)"),
            ("webhooks: [{name: a, url: \"http://h\", events: [aproval_needed]}]", "did you mean approval_needed?"),
            ("webhooks: [{name: a, url: \"http://h\", format: teams}]", "must be json or slack"),
            ("webhooks: [{name: a, url: \"ftp://h\"}]", "url: is not an http or https URL"),
            ("http: {listen: nowhere}", "http.listen: is not host:port"),
        ])
    func mistakes(line: String, expected: String) {
        do {
            _ = try read(Self.environments + "\n" + line + "\n")
            Issue.record("expected a problem")
        } catch {
            #expect(error.problems.contains { $0.description.contains(expected) }, "\(error.problems)")
        }
    }
}
