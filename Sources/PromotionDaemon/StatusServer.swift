import DirectusClient
import DirectusSchema
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PromotionStore

/// The read-only HTTP endpoint: `GET /metrics` (Prometheus text), `GET /healthz` (200, or 503 with the reason) and
/// `GET /status` (the JSON of `status --json`). Nothing that changes state is served: any other method is 405.
public struct StatusServer: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
        public init(status: Int, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public typealias Handler = @Sendable (_ path: String) async -> Response

    let host: String
    let port: Int
    let handler: Handler

    public init(host: String, port: Int, handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.handler = handler
    }

    /// Serves until cancelled; `onReady` gets the bound address (`http://host:port`).
    public func run(onReady: @Sendable (String) -> Void = { _ in }) async throws {
        let handler = self.handler
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RequestHandler(handler: handler))
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

    final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        var head: HTTPRequestHead?

        init(handler: @escaping Handler) { self.handler = handler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                self.head = nil
                let loop = context.eventLoop
                let contextBox = NIOLoopBound(context, eventLoop: loop)
                let keepAlive = head.isKeepAlive
                let path = String(head.uri.split(separator: "?").first ?? "/")
                guard head.method == .GET || head.method == .HEAD else {
                    respond(
                        contextBox, Response(status: 405, contentType: "text/plain", body: Array("read-only\n".utf8)),
                        keepAlive: keepAlive, headOnly: false)
                    return
                }
                let headOnly = head.method == .HEAD
                let handler = self.handler
                let promise = loop.makePromise(of: Response.self)
                promise.completeWithTask { await handler(path) }
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
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if !headOnly {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { _ in contextBox.value.close(promise: nil) } }
        }
    }

    /// The daemon's handler: metrics refreshed from the store, health from each environment's polls
    /// (`HealthRule`), status as `status --json`.
    public static func daemonHandler(
        store: Store, configuration: @escaping @Sendable () -> DaemonConfiguration, metrics: DaemonMetrics,
        now: @escaping @Sendable () -> Date
    ) -> Handler {
        { path in
            let configuration = configuration()
            switch path {
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
                return Response(
                    status: 404, contentType: "text/plain", body: Array("try /metrics, /healthz or /status\n".utf8))
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
