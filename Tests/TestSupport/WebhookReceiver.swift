import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP receiver for webhook tests: records every request; answers 500 to the first `failures`.
public final class WebhookReceiver: Sendable {
    public struct Request: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: [UInt8]
    }

    private let state = Mutex<(requests: [Request], failures: Int)>(([], 0))
    private let channel: Channel
    public let url: String

    public init(failures: Int = 0) async throws {
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/hook"
        state.withLock { $0.failures = failures }
        box.receiver.withLock { $0 = self }
    }

    public var requests: [Request] { state.withLock { $0.requests } }

    public func failNext(_ count: Int) { state.withLock { $0.failures = count } }

    public func close() async { try? await channel.close() }

    /// Records a request; returns the status to answer.
    func record(_ request: Request) -> Int {
        state.withLock { value in
            value.requests.append(request)
            if value.failures > 0 {
                value.failures -= 1
                return 500
            }
            return 204
        }
    }

    final class Box: Sendable {
        let receiver = Mutex<WebhookReceiver?>(nil)
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let box: Box
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(box: Box) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let status =
                    box.receiver.withLock { $0 }?.record(Request(path: head.uri, headers: headers, body: body)) ?? 500
                var responseHeaders = HTTPHeaders()
                responseHeaders.add(name: "Content-Length", value: "0")
                context.write(
                    wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: .http1_1, status: HTTPResponseStatus(statusCode: status),
                                headers: responseHeaders))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
