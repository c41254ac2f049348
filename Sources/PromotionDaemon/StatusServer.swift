import DirectusClient
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PromotionStore

/// The daemon's HTTP endpoint: `GET /metrics` (Prometheus text), `GET /healthz` (200, or 503 with the reason),
/// `GET /status` (the JSON of `status --json`) and the web view (`WebView`). Only GET and HEAD are served, and POST
/// where the handler takes it (a decision, when `http.decisions` is configured); anything else is 405.
public struct StatusServer: Sendable {
    /// One request as the handler sees it.
    public struct Request: Sendable {
        public var method: String
        /// The path, without the query string.
        public var path: String
        /// Query parameters, percent-decoded, in order.
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(
            method: String = "GET", target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []
        ) {
            self.method = method
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            path = String(parts.first ?? "/")
            query = parts.count > 1 ? FormEncoding.decode(String(parts[1])) : []
            self.headers = headers
            self.body = body
        }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
    }

    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
        /// More headers (`Content-Security-Policy`, `Location`, `WWW-Authenticate`).
        public var headers: [(name: String, value: String)] = []

        public init(status: Int, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
            self.status = status
            self.contentType = contentType
            self.body = body
            self.headers = headers
        }

        static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
        }
    }

    public typealias Handler = @Sendable (_ request: Request) async -> Response

    /// What a connection may take, so that idle or slow clients cannot hold the server.
    public struct Limits: Sendable {
        /// A request's head must arrive within this after the connection opens or the previous answer.
        public var headerTimeout: TimeAmount
        /// A kept-alive connection with no request for this long is closed.
        public var idleTimeout: TimeAmount
        /// Connections open at once; more are closed as soon as they are accepted.
        public var maxConnections: Int
        /// Bytes of request body read at most (a GET has none); more closes the connection.
        public var maxBodyBytes: Int

        public init(
            headerTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(60), maxConnections: Int = 64,
            maxBodyBytes: Int = 64 << 10
        ) {
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxBodyBytes = maxBodyBytes
        }
    }

    let host: String
    let port: Int
    let handler: Handler
    let limits: Limits

    public init(host: String, port: Int, limits: Limits = Limits(), handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.limits = limits
        self.handler = handler
    }

    /// Serves until cancelled; `onReady` gets the bound address (`http://host:port`).
    public func run(onReady: @Sendable (String) -> Void = { _ in }) async throws {
        let handler = self.handler
        let limits = self.limits
        let open = ConnectionCount()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard open.admit(limit: limits.maxConnections) else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.release() }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RequestHandler(handler: handler, limits: limits))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        onReady("http://\(host.contains(":") ? "[\(host)]" : host):\(bound)")
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Connections open now.
    final class ConnectionCount: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        /// Counts one more connection unless `limit` are open.
        func admit(limit: Int) -> Bool {
            lock.withLock {
                guard count < limit else { return false }
                count += 1
                return true
            }
        }

        func release() { lock.withLock { count -= 1 } }
    }

    final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        let limits: Limits
        var head: HTTPRequestHead?
        var bodyBytes = 0
        var body: [UInt8] = []
        /// Closes the connection unless a request head arrives first.
        var timer: Scheduled<Void>?

        init(handler: @escaping Handler, limits: Limits) {
            self.handler = handler
            self.limits = limits
        }

        func channelActive(context: ChannelHandlerContext) {
            closeUnlessRequested(context, after: limits.headerTimeout)
            context.fireChannelActive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
        }

        /// Closes the connection when no request head has arrived after `delay`.
        func closeUnlessRequested(_ context: ChannelHandlerContext, after delay: TimeAmount) {
            timer?.cancel()
            let contextBox = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: delay) { contextBox.value.close(promise: nil) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                timer?.cancel()
                timer = nil
                self.head = head
                bodyBytes = 0
                body = []
            case .body(var buffer):
                bodyBytes += buffer.readableBytes
                if bodyBytes > limits.maxBodyBytes {
                    context.close(promise: nil)
                } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                    body += bytes
                }
            case .end:
                guard let head else { return }
                self.head = nil
                let loop = context.eventLoop
                let contextBox = NIOLoopBound(context, eventLoop: loop)
                let keepAlive = head.isKeepAlive
                guard [.GET, .HEAD, .POST].contains(head.method) else {
                    respond(contextBox, .text(405, "method not allowed\n"), keepAlive: keepAlive, headOnly: false)
                    return
                }
                let headOnly = head.method == .HEAD
                let request = Request(
                    method: head.method == .HEAD ? "GET" : head.method.rawValue, target: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) }, body: body)
                body = []
                let handler = self.handler
                let promise = loop.makePromise(of: Response.self)
                promise.completeWithTask { await handler(request) }
                promise.futureResult.whenSuccess { [self] response in
                    respond(contextBox, response, keepAlive: keepAlive, headOnly: headOnly)
                }
            }
        }

        func respond(
            _ contextBox: NIOLoopBound<ChannelHandlerContext>, _ response: Response, keepAlive: Bool, headOnly: Bool
        ) {
            let context = contextBox.value
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: "\(response.body.count)")
            headers.add(name: "Cache-Control", value: "no-store")
            for (name, value) in response.headers { headers.add(name: name, value: value) }
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if !headOnly {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if keepAlive {
                closeUnlessRequested(context, after: limits.idleTimeout)
            } else {
                done.whenComplete { _ in contextBox.value.close(promise: nil) }
            }
        }
    }

    /// The daemon's handler: metrics refreshed from the store, health from each environment's polls
    /// (`HealthRule`), status as `status --json`, and everything else the web view's (`WebView`).
    public static func daemonHandler(
        store: Store, configuration: @escaping @Sendable () -> DaemonConfiguration, metrics: DaemonMetrics,
        web: WebView? = nil, now: @escaping @Sendable () -> Date
    ) -> Handler {
        { request in
            let configuration = configuration()
            if request.method == "POST" || !["/metrics", "/healthz", "/status"].contains(request.path) {
                guard let web else {
                    return request.method == "POST"
                        ? .text(405, "read-only\n") : .text(404, "try /metrics, /healthz or /status\n")
                }
                return await web.respond(to: request, configuration: configuration)
            }
            switch request.path {
            case "/metrics":
                metrics.refresh(store: store, configuration: configuration, now: now())
                return Response(
                    status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                    body: Array(metrics.render().utf8))
            case "/healthz":
                let problems = health(store: store, configuration: configuration, now: now())
                return problems.isEmpty
                    ? Response(status: 200, contentType: "text/plain", body: Array("ok\n".utf8))
                    : Response(
                        status: 503, contentType: "text/plain",
                        body: Array((problems.joined(separator: "\n") + "\n").utf8))
            case "/status":
                guard let report = try? StatusReport(store: store, configuration: configuration) else {
                    return Response(
                        status: 500, contentType: "text/plain", body: Array("cannot read the state\n".utf8))
                }
                return Response(
                    status: 200, contentType: "application/json",
                    body: JSONWriter(layout: .indented("  ")).bytes(report.json))
            default:
                return .text(404, "try /metrics, /healthz or /status\n")
            }
        }
    }

    /// Why the daemon is not healthy: one line per environment that `HealthRule` finds failing or stalled.
    public static func health(store: Store, configuration: DaemonConfiguration, now: Date) -> [String] {
        let rule = HealthRule(pollInterval: configuration.pollInterval)
        return configuration.environments.compactMap { environment in
            let latest = try? store.latestObservation(environment: environment.name)
            let success =
                latest?.error == nil
                ? latest : try? store.latestSuccessfulObservation(environment: environment.name)
            return rule.problem(
                environment: environment.name, latestAt: latest?.observedAt, latestError: latest?.error,
                lastSuccessAt: success?.observedAt, now: now)
        }
    }
}
