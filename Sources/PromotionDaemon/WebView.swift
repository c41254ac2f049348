import Crypto
import DirectusClient
import Foundation
import PromotionCore
import PromotionStore

/// The web view at `/`: the pipeline, history, each promotion with its plan and events, and drift, rendered on the
/// server from the same models as `status`, `history`, `show` and `drift show` (one model, several renderings).
///
/// Read-only unless decisions are configured (`http.decisions`): then a person signed in with HTTP Basic
/// credentials from the credentials file may approve or reject, through a form carrying a token bound to them and
/// the promotion (CSRF), recorded through `DecisionDesk` like the CLI's, with their name as the actor. Without it
/// every page shows the CLI command to run instead.
public struct WebView: Sendable {
    let store: Store
    /// Who may decide, by name, now (nil: decisions stay in the CLI); read again at each reload.
    let currentDeciders: @Sendable () -> [String: Secret]?
    /// Signs the forms' tokens; new for each process, so a form from an earlier run is refused.
    let formKey: SymmetricKey
    let now: @Sendable () -> Date

    public init(
        store: Store, deciders: @escaping @Sendable () -> [String: Secret]?, now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.currentDeciders = deciders
        self.formKey = SymmetricKey(size: .bits256)
        self.now = now
    }

    var deciders: [String: Secret]? { currentDeciders() }

    public typealias Response = StatusServer.Response

    /// The headers of every page: nothing from elsewhere, no framing, no referrer.
    static let securityHeaders: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    public func respond(to request: StatusServer.Request, configuration: DaemonConfiguration) async -> Response {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        do {
            switch (request.method, parts.first, parts.count) {
            case ("GET", nil, _):
                return page(try WebPages.pipeline(context(request, configuration)))
            case ("GET", "history", 1):
                return page(try WebPages.history(context(request, configuration), query: request))
            case ("GET", "promotions", 2):
                guard let id = Int64(parts[1]) else { return notFound(request.path) }
                guard let page = try WebPages.promotion(id: id, context(request, configuration)) else {
                    return notFound(request.path)
                }
                return self.page(page)
            case ("POST", "promotions", 3) where parts[2] == "decision":
                guard let id = Int64(parts[1]) else { return notFound(request.path) }
                return try decide(id: id, request: request, configuration: configuration)
            case ("GET", "drift", 1):
                return page(try WebPages.driftList(context(request, configuration)))
            case ("GET", "drift", 2):
                guard let page = try WebPages.drift(environment: parts[1], context(request, configuration)) else {
                    return notFound(request.path)
                }
                return self.page(page)
            case ("GET", "sign-in", 1):
                return signIn(request)
            case ("GET", "assets", 2) where parts[1] == "app.css":
                return asset(WebAssets.css, type: "text/css; charset=utf-8")
            case ("GET", "assets", 2) where parts[1] == "app.js":
                return asset(WebAssets.javaScript, type: "text/javascript; charset=utf-8")
            case ("POST", _, _):
                return Response.text(405, "only decisions are posted, to /promotions/ID/decision\n")
            default:
                return notFound(request.path)
            }
        } catch {
            return Self.problem(500, "The state cannot be read", "\(error)")
        }
    }

    /// What a page needs to know about the request and the daemon.
    struct Context {
        var store: Store
        var configuration: DaemonConfiguration
        var now: Date
        /// The signed-in person, when decisions are on and the request carries their credentials.
        var decider: String?
        var decisionsEnabled: Bool
        /// A form token for (`decider`, promotion).
        var token: (Int64) -> String
    }

    func context(_ request: StatusServer.Request, _ configuration: DaemonConfiguration) -> Context {
        let decider = authenticatedDecider(request)
        return Context(
            store: store, configuration: configuration, now: now(), decider: decider,
            decisionsEnabled: deciders != nil,
            token: { id in decider.map { formToken(decider: $0, promotion: id) } ?? "" })
    }

    func page(_ html: String) -> Response {
        Response(
            status: 200, contentType: "text/html; charset=utf-8", body: Array(html.utf8), headers: Self.securityHeaders)
    }

    func asset(_ text: String, type: String) -> Response {
        Response(status: 200, contentType: type, body: Array(text.utf8), headers: Self.securityHeaders)
    }

    func notFound(_ path: String) -> Response {
        Self.problem(404, "Not found", "Nothing is at \(path).")
    }

    // MARK: Decisions

    static let realm = "directus-promoter decisions"

    var challenge: Response {
        Response(
            status: 401, contentType: "text/html; charset=utf-8",
            body: Array(
                WebPages.problem("Sign-in needed", "Deciding needs the credentials of a person allowed to decide.")
                    .utf8),
            headers: Self.securityHeaders + [("WWW-Authenticate", "Basic realm=\"\(Self.realm)\", charset=\"UTF-8\"")])
    }

    /// The signed-in person: HTTP Basic credentials that match the credentials file, compared in constant time.
    func authenticatedDecider(_ request: StatusServer.Request) -> String? {
        guard let deciders, let header = request.header("authorization") else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", parts[1].utf8.count <= 4096,
            let decoded = Data(base64Encoded: String(parts[1])), let text = String(data: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        let name = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        // Every known secret is compared, so the time taken does not tell whether the name exists.
        var match: String?
        for (candidate, secret) in deciders.sorted(by: { $0.key < $1.key }) {
            let same = Self.constantTimeEqual(Array(password.utf8), Array(secret.value.utf8))
            if same && candidate == name { match = candidate }
        }
        return match
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let left = Array(SHA256.hash(data: a))
        let right = Array(SHA256.hash(data: b))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// The form token of a decision about `promotion` by `decider`: an HMAC under this process's key.
    func formToken(decider: String, promotion: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(decider)\n\(promotion)".utf8), using: formKey)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// `/sign-in`: asks the browser for credentials (which it then sends with every request to this server), and
    /// goes back where the person came from.
    func signIn(_ request: StatusServer.Request) -> Response {
        guard deciders != nil else {
            return Self.problem(
                404, "Decisions are made with the CLI",
                "This daemon's web view is read-only (no http.decisions in its configuration).")
        }
        guard authenticatedDecider(request) != nil else { return challenge }
        var back = request.queryValue("next") ?? "/"
        if !back.hasPrefix("/") || back.hasPrefix("//") { back = "/" }
        return Response(
            status: 303, contentType: "text/plain; charset=utf-8", body: Array("signed in\n".utf8),
            headers: Self.securityHeaders + [("Location", back)])
    }

    /// `POST /promotions/ID/decision`: approve or reject, by a signed-in person, with the form's token.
    func decide(id: Int64, request: StatusServer.Request, configuration: DaemonConfiguration) throws -> Response {
        guard deciders != nil else {
            return Self.problem(
                403, "Decisions are made with the CLI",
                "Run: directus-promoter approve \(id)   (or reject \(id)) on the daemon's machine.")
        }
        guard let decider = authenticatedDecider(request) else { return challenge }
        let form = Dictionary(
            FormEncoding.decode(String(decoding: request.body, as: UTF8.self)).map { ($0.name, $0.value) },
            uniquingKeysWith: { first, _ in first })
        let expected = formToken(decider: decider, promotion: id)
        guard let token = form["token"],
            Self.constantTimeEqual(Array(token.utf8), Array(expected.utf8)),
            Self.sameOrigin(request)
        else {
            return Self.problem(403, "The form has expired", "Open the promotion's page again and decide from there.")
        }
        let kind: PromotionDecision
        switch form["decision"] {
        case "approve": kind = .approve
        case "reject": kind = .reject
        default: return Response.text(400, "decision must be approve or reject\n")
        }
        let comment = form["comment"].map { String($0.prefix(2000)) }.flatMap { $0.isEmpty ? nil : $0 }
        do {
            _ = try DecisionDesk.record(
                kind, promotionID: id, actor: "\(decider) (web)", comment: comment,
                allowDestructive: form["allow_destructive"] == "yes",
                despiteWarnings: form["despite_warnings"] == "yes",
                store: store, configuration: configuration, at: now())
        } catch let refusal as DecisionDesk.Refusal {
            return Self.problem(409, "Nothing was recorded", refusal.description)
        }
        return Response(
            status: 303, contentType: "text/plain; charset=utf-8", body: Array("recorded\n".utf8),
            headers: Self.securityHeaders + [("Location", "/promotions/\(id)")])
    }

    /// An HTML page saying what went wrong and what to do (`WebPages.problem`), with the view's security headers.
    static func problem(_ status: Int, _ title: String, _ text: String) -> Response {
        Response(
            status: status, contentType: "text/html; charset=utf-8", body: Array(WebPages.problem(title, text).utf8),
            headers: securityHeaders)
    }

    /// A browser's `Origin` (or `Referer`), when it sends one, names this server (`Host`).
    static func sameOrigin(_ request: StatusServer.Request) -> Bool {
        guard let host = request.header("host") else { return false }
        let origin = request.header("origin") ?? request.header("referer")
        guard let origin, origin != "null" else { return request.header("origin") == nil }
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        return "\(originHost)\(port)" == host || "[\(originHost)]\(port)" == host
    }
}
