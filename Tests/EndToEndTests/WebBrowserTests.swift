import AsyncHTTPClient
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import PromotionDaemon
import PromotionStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The web view in a real headless browser (Debian's chromium, which `.ci/run` installs), served by a real daemon
/// process promoting between emulators.
@Suite("Web view in a browser", .serialized)
struct WebBrowserTests {
    /// Where the test writes what it saw (the screenshot).
    static let outputFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/test-output/web")

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs headless chromium with `arguments` then `url`; its standard output.
    static func browse(_ arguments: [String], _ url: String) async throws -> String {
        let browser = try #require(Self.chromium, "chromium is not installed: apt-get install chromium (.ci/run does)")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try await Binary.run(
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--user-data-dir=\(profile.path)",
                "--virtual-time-budget=3000",
            ] + arguments + [url], executable: URL(fileURLWithPath: browser))
        return result.standardOutput
    }

    /// The daemon's web address, from its log (`http.listen: 127.0.0.1:0` picks a free port).
    static func address(_ h: DaemonHarness) async throws -> String {
        var found: String?
        _ = try await eventually(15) {
            found = h.log.components(separatedBy: " on http://").dropFirst().first.map {
                "http://" + $0.prefix { !$0.isWhitespace && $0 != "\"" }
            }
            return found != nil
        }
        return try #require(found, "the daemon did not say where it listens: \(h.log)")
    }

    /// WCAG's contrast ratio of two `#rrggbb` colours.
    static func contrast(_ a: String, _ b: String) -> Double {
        func luminance(_ hex: String) -> Double {
            let value = Int(hex.dropFirst(), radix: 16) ?? 0
            let channels = [(value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF].map { Double($0) / 255 }
            let linear = channels.map { $0 <= 0.03928 ? $0 / 12.92 : pow(($0 + 0.055) / 1.055, 2.4) }
            return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        }
        let (x, y) = (luminance(a), luminance(b))
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }

    /// Every rule of a style sheet that sets both a text colour and a background, with the two.
    static func colourPairs(_ css: String) -> [(selector: String, foreground: String, background: String)] {
        css.components(separatedBy: "}").compactMap { rule in
            let parts = rule.components(separatedBy: "{")
            guard parts.count == 2 else { return nil }
            func value(_ property: String) -> String? {
                parts[1].components(separatedBy: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    .first { $0.hasPrefix(property + ":") }?.dropFirst(property.count + 1)
                    .trimmingCharacters(in: .whitespaces)
            }
            guard let foreground = value("color"), foreground.hasPrefix("#"),
                let background = value("background"), background.hasPrefix("#")
            else { return nil }
            return (parts[0].trimmingCharacters(in: .whitespacesAndNewlines), foreground, background)
        }
    }

    @Test("pipeline, promotion and drift pages, as a browser renders them")
    func pages() async throws {
        try await withDaemonHarness(dev: Self.withDeletion()) { h in
            try h.writeConfig(
                extra: "http:\n  listen: 127.0.0.1:0",
                environmentExtra: ["production": ["destructive: approve"]])
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval }, "\(h.log)")
            await h.staging.makeDrift()
            #expect(try await eventually { (try? h.store().drift(environment: "staging")) != nil }, "\(h.log)")
            let base = try await Self.address(h)

            // The pipeline, after the page's own script ran.
            let pipeline = try await Self.browse(["--dump-dom"], base + "/")
            #expect(pipeline.contains("<h1>Pipeline</h1>"), "\(pipeline.prefix(500))")
            for name in ["development", "staging", "production"] {
                #expect(pipeline.contains("<h3>\(name)</h3>"))
            }
            #expect(pipeline.contains(">drifted<"), "staging's condition")
            #expect(pipeline.contains(">awaiting approval<"), "production's condition")
            #expect(pipeline.contains(">source<"))

            // The promotion page shows the plan's destructive entry.
            let id = try #require(h.latest("production")?.id)
            let promotion = try await Self.browse(["--dump-dom"], base + "/promotions/\(id)")
            #expect(promotion.contains("<span class=\"destructive\">destructive</span>"), "\(promotion.prefix(800))")
            #expect(promotion.contains("field articles.body"))
            #expect(promotion.contains("directus-promoter approve \(id)"))

            let drift = try await Self.browse(["--dump-dom"], base + "/drift/staging")
            #expect(drift.contains("Drift on staging"))

            // A basic accessibility check on each page: language, one h1, no skipped heading level, every control
            // labelled, every table captioned, nothing loaded from elsewhere.
            for (name, page) in [("pipeline", pipeline), ("promotion", promotion), ("drift", drift)] {
                #expect(page.contains("<html lang=\"en\">"), "\(name)")
                #expect(page.components(separatedBy: "<h1").count == 2, "\(name): one h1")
                let levels = page.components(separatedBy: "<h").dropFirst().compactMap { $0.first?.wholeNumberValue }
                for (previous, next) in zip(levels, levels.dropFirst()) {
                    #expect(next <= previous + 1, "\(name): h\(previous) then h\(next)")
                }
                for id in page.components(separatedBy: " id=\"").dropFirst().map({ String($0.prefix { $0 != "\"" }) })
                where page.contains("<select id=\"\(id)\"") || page.contains("<textarea id=\"\(id)\"") {
                    #expect(page.contains("<label for=\"\(id)\""), "\(name): \(id) has a label")
                }
                #expect(
                    page.components(separatedBy: "<table").count == page.components(separatedBy: "<caption").count,
                    "\(name): every table has a caption")
                for attribute in ["src=\"", "href=\""] {
                    for value in page.components(separatedBy: attribute).dropFirst() {
                        #expect(
                            value.hasPrefix("/") || value.hasPrefix("#"), "\(name): \(attribute)\(value.prefix(40))")
                    }
                }
            }

            // The served style sheet: every text colour on its background at least 4.5:1 (WCAG AA).
            var request = HTTPClientRequest(url: base + "/assets/app.css")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let csp = response.headers["Content-Security-Policy"].first ?? ""
            #expect(csp.contains("default-src 'none'"))
            let css = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let pairs = Self.colourPairs(css)
            #expect(pairs.count >= 5, "the palette is found in the style sheet")
            for pair in pairs {
                #expect(
                    Self.contrast(pair.foreground, pair.background) >= 4.5,
                    "\(pair.selector): \(pair.foreground) on \(pair.background)")
            }

            // The picture, for people and for docs/operations.md.
            try FileManager.default.createDirectory(at: Self.outputFolder, withIntermediateDirectories: true)
            let screenshot = Self.outputFolder.appendingPathComponent("pipeline.png")
            try? FileManager.default.removeItem(at: screenshot)
            _ = try await Self.browse(["--screenshot=\(screenshot.path)", "--window-size=1280,900"], base + "/")
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
            #expect(png.count > 10_000)
            #expect(try await stop(daemon) == 0)
        }
    }

    @Test("with http.decisions, approving through the web needs the credentials and the form's token, and is audited")
    func decisions() async throws {
        try await withDaemonHarness { h in
            let credentials = h.directory + "/web-deciders"
            try "alice:correct horse battery staple\n".write(toFile: credentials, atomically: true, encoding: .utf8)
            try h.writeConfig(extra: "http:\n  listen: 127.0.0.1:0\n  decisions:\n    credentials_file: \(credentials)")
            let daemon = try h.startDaemon()
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            #expect(try await eventually { h.latest("production")?.state == .awaitingApproval }, "\(h.log)")
            let base = try await Self.address(h)
            let id = try #require(h.latest("production")?.id)
            let basic = "Basic " + Data("alice:correct horse battery staple".utf8).base64EncodedString()

            func send(
                _ method: HTTPMethod, _ path: String, auth: String?, body: String? = nil
            ) async throws
                -> (status: Int, text: String)
            {
                var request = HTTPClientRequest(url: base + path)
                request.method = method
                if let auth { request.headers.add(name: "Authorization", value: auth) }
                if let body {
                    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                    request.body = .bytes(ByteBuffer(string: body))
                }
                let response = try await Self.noRedirects.execute(request, timeout: .seconds(10))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let page = try await send(.GET, "/promotions/\(id)", auth: basic)
            #expect(page.text.contains("<form class=\"decide\""), "\(page.text.prefix(300))")
            let token = try #require(
                page.text.components(separatedBy: "name=\"token\" value=\"").dropFirst().first?.prefix(64))
            let form = "token=\(token)&decision=approve&comment=from+the+web"
            #expect(try await send(.POST, "/promotions/\(id)/decision", auth: nil, body: form).status == 401)
            #expect(
                try await send(.POST, "/promotions/\(id)/decision", auth: basic, body: "token=0&decision=approve")
                    .status
                    == 403)
            #expect(h.latest("production")?.state == .awaitingApproval)
            #expect(try await send(.POST, "/promotions/\(id)/decision", auth: basic, body: form).status == 303)
            #expect(try await eventually(10) { h.latest("production")?.state == .applied }, "\(h.log)")
            let events = try h.store().events(promotionID: id)
            #expect(
                events.contains { $0.actor == "alice (web)" && $0.message.contains("from the web") },
                "\(events.map(\.message))")
            #expect(!h.log.contains("correct horse battery staple"), "the password never reaches the log")
            #expect(try await stop(daemon) == 0)
        }
    }

    /// A client that shows redirects rather than following them.
    static let noRedirects = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// The demo's change plus the deletion of `articles.body`: a destructive plan for production.
    static func withDeletion() -> Snapshot {
        var snapshot = DemoSchema.withSummary
        snapshot.fields.removeAll { $0["collection"] == "articles" && $0["field"] == "body" }
        return snapshot
    }
}
