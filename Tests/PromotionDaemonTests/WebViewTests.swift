import DirectusClient
import DirectusSchema
import Foundation
import PromotionCore
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

/// The web view's pages and decisions, through `WebView.respond` over a real state database that a real engine
/// filled (the browser checks are in the end-to-end suite).
@Suite("Web view")
struct WebViewTests {
    static let password = "correct horse battery"

    /// The harness's pipeline as the daemon's configuration (the web view reads the same file the CLI does).
    static func configuration(_ h: PipelineHarness) -> DaemonConfiguration {
        let names = ["development", "staging", "production"]
        var configuration = DaemonConfiguration(
            path: "/etc/directus-promoter/config.yaml", stateDirectory: h.directory,
            environments: names.enumerated().map { index, name in
                var environment = DaemonConfiguration.Environment(
                    name: name, url: h.urls[name]!, credentials: .token(.inline(Secret(adminToken))))
                environment.approval = ApprovalPolicy.defaultPolicy(forTargetAt: index - 1)
                environment.destructive = index == 2 ? .approve : .allow
                return environment
            })
        configuration.http = .init(host: "127.0.0.1", port: 0)
        return configuration
    }

    static func web(_ h: PipelineHarness, decisions: Bool = false) -> WebView {
        let deciders: [String: Secret]? = decisions ? ["alice": Secret(password)] : nil
        return WebView(store: h.store, deciders: { deciders }, now: h.now)
    }

    static func get(
        _ web: WebView, _ target: String, _ configuration: DaemonConfiguration, auth: String? = nil
    ) async -> StatusServer.Response {
        var headers: [(name: String, value: String)] = [("Host", "127.0.0.1:9464")]
        if let auth { headers.append(("Authorization", "Basic " + Data(auth.utf8).base64EncodedString())) }
        return await web.respond(
            to: StatusServer.Request(target: target, headers: headers), configuration: configuration)
    }

    static func text(_ response: StatusServer.Response) -> String { String(decoding: response.body, as: UTF8.self) }

    /// A pipeline where staging has the change, production waits for approval of a destructive plan, and staging
    /// then drifted.
    static func scenario(_ body: @Sendable @escaping (PipelineHarness) async throws -> Void) async throws {
        let dev = withField("population", on: withoutField("name", in: "country", of: baseSnapshot))
        try await withPipeline(dev: dev) { h in
            let engine = try h.engine { if $0.name == "production" { $0.destructive = .approve } }
            _ = await engine.tick()
            await h.staging.makeDrift()
            h.clock.advance(by: 600)
            _ = await engine.tick()
            try await body(h)
        }
    }

    @Test(
        "the pipeline page: each environment in order with its condition, what is in flight, with headers that load nothing from elsewhere"
    )
    func pipeline() async throws {
        try await Self.scenario { h in
            let configuration = Self.configuration(h)
            let response = await Self.get(Self.web(h), "/", configuration)
            #expect(response.status == 200)
            #expect(response.contentType == "text/html; charset=utf-8")
            let csp = response.headers.first { $0.name == "Content-Security-Policy" }?.value ?? ""
            #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"))
            let html = Self.text(response)
            let development = try #require(html.range(of: "<h3>development</h3>"))
            let staging = try #require(html.range(of: "<h3>staging</h3>"))
            let production = try #require(html.range(of: "<h3>production</h3>"))
            #expect(development.lowerBound < staging.lowerBound && staging.lowerBound < production.lowerBound)
            #expect(html.contains("badge bad\">drifted"), "staging drifted")
            #expect(html.contains("badge wait\">awaiting approval"), "production waits")
            #expect(html.contains("href=\"/drift/staging\""))
            #expect(html.contains("href=\"/promotions/"))
            #expect(html.contains("directus-promoter approve"), "the next step, as the CLI would take it")
            #expect(!html.contains("http://") || !html.contains("src=\"http"), "nothing loaded from elsewhere")
            #expect(html.contains("read-only: decisions are made with the CLI"))
        }
    }

    @Test("the promotion page shows the plan the CLI prints: the destructive entry, its reason and the events")
    func promotion() async throws {
        try await Self.scenario { h in
            let configuration = Self.configuration(h)
            let id = try h.latest("production").id
            let html = Self.text(await Self.get(Self.web(h), "/promotions/\(id)", configuration))
            #expect(html.contains("delete <span class=\"destructive\">destructive</span>"))
            #expect(html.contains("field country.name"))
            #expect(html.contains("deleting a field drops its column and the data in it"))
            #expect(html.contains("create"))
            #expect(html.contains("field city.population"))
            #expect(html.contains("<caption>The audit log of promotion \(id)</caption>"))
            #expect(html.contains("directus-promoter approve \(id)"), "read-only: the CLI command")
            let detail = try #require(
                try PromotionDetail(id: id, store: h.store, configuration: configuration))
            #expect(detail.plan?.isDestructive == true, "the same model as show --json")
            #expect(await Self.get(Self.web(h), "/promotions/999999", configuration).status == 404)
            #expect(await Self.get(Self.web(h), "/promotions/abc", configuration).status == 404)
        }
    }

    @Test("history filters by environment, state and time; drift shows what changed")
    func historyAndDrift() async throws {
        try await Self.scenario { h in
            let configuration = Self.configuration(h)
            let web = Self.web(h)
            let all = Self.text(await Self.get(web, "/history", configuration))
            #expect(all.contains("<label for=\"env\">Environment</label>"))
            let staging = Self.text(await Self.get(web, "/history?env=staging&state=applied&since=1d", configuration))
            #expect(staging.contains("1 promotion, newest first"))
            #expect(staging.contains("<option value=\"staging\" selected=\"\">"))
            let none = Self.text(await Self.get(web, "/history?env=production&state=applied", configuration))
            #expect(none.contains("No promotion matches."))
            let drift = Self.text(await Self.get(web, "/drift/staging", configuration))
            #expect(drift.contains("Drift on staging"))
            #expect(drift.contains("field city.drift_1") || drift.contains("drift_1"))
            #expect(drift.contains("directus-promoter drift accept staging"))
            #expect(Self.text(await Self.get(web, "/drift", configuration)).contains("href=\"/drift/staging\""))
            #expect(await Self.get(web, "/drift/nowhere", configuration).status == 404)
            let css = await Self.get(web, "/assets/app.css", configuration)
            #expect(css.status == 200 && css.contentType.hasPrefix("text/css"))
        }
    }

    @Test("text from instances and people is escaped, never markup")
    func escaping() async throws {
        try await Self.scenario { h in
            let configuration = Self.configuration(h)
            let id = try h.latest("production").id
            _ = try h.store.appendEvent(
                kind: "note", actor: "<script>alert(1)</script>", environment: "production", promotionID: id,
                message: "a \"quoted\" <b>bold</b> & more", at: h.now())
            let html = Self.text(await Self.get(Self.web(h), "/promotions/\(id)", configuration))
            #expect(!html.contains("<script>alert(1)</script>"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("a &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt; &amp; more"))
        }
    }

    @Test("decisions need the credentials and the form's token, and are audited with the person's name")
    func decisions() async throws {
        try await Self.scenario { h in
            let configuration = Self.configuration(h)
            let web = Self.web(h, decisions: true)
            let id = try h.latest("production").id
            let anonymous = Self.text(await Self.get(web, "/promotions/\(id)", configuration))
            #expect(anonymous.contains("Sign in to approve or reject"))
            #expect(!anonymous.contains("<form class=\"decide\""))

            let signIn = await Self.get(web, "/sign-in?next=%2Fpromotions%2F\(id)", configuration)
            #expect(signIn.status == 401)
            #expect(signIn.headers.contains { $0.name == "WWW-Authenticate" && $0.value.hasPrefix("Basic") })
            let signedIn = await Self.get(
                web, "/sign-in?next=%2Fpromotions%2F\(id)", configuration, auth: "alice:\(Self.password)")
            #expect(signedIn.status == 303)
            #expect(signedIn.headers.contains { $0.name == "Location" && $0.value == "/promotions/\(id)" })
            let offsite = await Self.get(
                web, "/sign-in?next=//evil.example", configuration, auth: "alice:\(Self.password)")
            #expect(offsite.headers.contains { $0.name == "Location" && $0.value == "/" })

            let page = Self.text(
                await Self.get(web, "/promotions/\(id)", configuration, auth: "alice:\(Self.password)"))
            #expect(page.contains("<form class=\"decide\""))
            #expect(page.contains("I approve the destructive changes"))
            let token = try #require(
                page.components(separatedBy: "name=\"token\" value=\"").dropFirst().first?.prefix(64))

            func post(
                _ body: String, auth: String?, origin: String? = "http://127.0.0.1:9464"
            ) async
                -> StatusServer.Response
            {
                var headers: [(name: String, value: String)] = [("Host", "127.0.0.1:9464")]
                if let origin { headers.append(("Origin", origin)) }
                if let auth { headers.append(("Authorization", "Basic " + Data(auth.utf8).base64EncodedString())) }
                return await web.respond(
                    to: StatusServer.Request(
                        method: "POST", target: "/promotions/\(id)/decision", headers: headers, body: Array(body.utf8)),
                    configuration: configuration)
            }
            let form = "token=\(token)&decision=approve&allow_destructive=yes&comment=looks+good"
            #expect(await post(form, auth: nil).status == 401)
            #expect(await post(form, auth: "alice:wrong password here").status == 401)
            #expect(await post(form, auth: "mallory:\(Self.password)").status == 401)
            #expect(
                await post(
                    "token=\(String(repeating: "0", count: 64))&decision=approve", auth: "alice:\(Self.password)"
                ).status == 403)
            #expect(await post(form, auth: "alice:\(Self.password)", origin: "http://evil.example").status == 403)
            #expect(try h.store.pendingDecisions().isEmpty, "nothing recorded so far")

            let accepted = await post(form, auth: "alice:\(Self.password)")
            #expect(accepted.status == 303)
            let decisions = try h.store.pendingDecisions()
            #expect(decisions.count == 1)
            #expect(decisions.first?.actor == "alice (web)")
            #expect(decisions.first?.allowDestructive == true)
            #expect(decisions.first?.comment == "looks good")

            // Without decisions configured, a post is refused with the CLI command.
            let readOnly = await Self.web(h).respond(
                to: StatusServer.Request(method: "POST", target: "/promotions/\(id)/decision", body: Array(form.utf8)),
                configuration: configuration)
            #expect(readOnly.status == 403)
            #expect(Self.text(readOnly).contains("directus-promoter approve \(id)"))
        }
    }
}
