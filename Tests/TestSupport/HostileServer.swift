import DirectusEmulator
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A Directus that misbehaves, on loopback: an HTTP server in front of an emulated instance that answers like it,
/// except for the requests a rule names, which it answers as a broken proxy or a hostile server would (stalls,
/// trickles, endless bodies, odd headers, redirects, forged hashes, applies that do nothing). Rules can be armed
/// after start, so a daemon is first seen healthy. Without an instance it answers 404 to anything a rule does not
/// cover (a stand-in for a foreign host that records who calls it).
public final class HostileServer: Sendable {
    /// How a body is framed.
    public enum Framing: Sendable {
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// `Content-Length` announcing this many bytes.
        case contentLength(Int)
        /// An HTTP/1.0 answer whose body ends when the connection closes.
        case untilClose
    }

    public enum Misbehaviour: Sendable {
        /// Headers announcing a body, then nothing, the connection held open.
        case stallAfterHeaders
        /// Headers, then one byte every `interval`, for ever.
        case trickle(Framing, interval: Duration)
        /// Headers, then bytes as fast as the client reads them, for ever.
        case endless(Framing)
        /// An answer with this status, these headers and a small body.
        case answer(status: Int, headers: [(String, String)])
        /// Answered by the instance, with `data.hash` of a diff answer replaced.
        case forgeDiffHash(String)
        /// 204 without passing the request on: an apply that "succeeds" and changes nothing.
        case acceptWithoutApplying
        /// An error answer whose message quotes the request's `Authorization` header back (as careless proxies and
        /// debugging middleware do).
        case echoAuthorization(status: Int)
    }

    public struct Rule: Sendable {
        public var method: String?
        public var path: String
        public var misbehaviour: Misbehaviour
        public init(_ method: String? = nil, _ path: String, _ misbehaviour: Misbehaviour) {
            self.method = method
            self.path = path
            self.misbehaviour = misbehaviour
        }
    }

    /// A request as it arrived.
    public struct Seen: Sendable {
        public var method: String
        public var path: String
        public var authorization: String?
    }

    let instance: EmulatedInstance?
    private let state = Mutex<(rules: [Rule], seen: [Seen], open: Int)>(([], [], 0))
    private let channel: Channel
    public let url: String

    public init(instance: EmulatedInstance?, rules: [Rule] = []) async throws {
        self.instance = instance
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
        state.withLock { $0.rules = rules }
        box.server.withLock { $0 = self }
    }

    /// Replaces the rules (an empty list: behave).
    public func arm(_ rules: [Rule]) { state.withLock { $0.rules = rules } }

    public var seen: [Seen] { state.withLock { $0.seen } }

    public func requests(path: String) -> Int { state.withLock { $0.seen.filter { $0.path == path }.count } }

    public func close() async { try? await channel.close() }

    func rule(method: String, path: String) -> Misbehaviour? {
        state.withLock { value in
            value.rules.first { ($0.method == nil || $0.method == method) && $0.path == path }?.misbehaviour
        }
    }

    func record(_ seen: Seen) { state.withLock { $0.seen.append(seen) } }

    final class Box: Sendable {
        let server = Mutex<HostileServer?>(nil)
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
                if body.count < 64 << 20 { body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            case .end:
                guard let head, let server = box.server.withLock({ $0 }) else { return }
                self.head = nil
                let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                server.record(
                    Seen(method: head.method.rawValue, path: path, authorization: head.headers["Authorization"].first))
                let responder = Responder(context: context, handler: self)
                let request = EmulatorRequest(
                    method: head.method.rawValue, target: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) }, body: body)
                let misbehaviour = server.rule(method: head.method.rawValue, path: path)
                let instance = server.instance
                let keepAlive = head.isKeepAlive
                Task {
                    await Self.answer(
                        request, misbehaviour: misbehaviour, instance: instance, keepAlive: keepAlive,
                        responder: responder)
                }
            }
        }

        static func answer(
            _ request: EmulatorRequest, misbehaviour: Misbehaviour?, instance: EmulatedInstance?, keepAlive: Bool,
            responder: Responder
        ) async {
            switch misbehaviour {
            case nil:
                guard let instance else {
                    responder.send(status: 404, headers: [], body: Array("not here\n".utf8), keepAlive: keepAlive)
                    return
                }
                let response = await instance.handle(request)
                responder.send(
                    status: response.status, headers: response.headers, body: response.body, keepAlive: keepAlive)
            case .answer(let status, let headers)?:
                responder.send(
                    status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: Array("{}".utf8),
                    keepAlive: keepAlive)
            case .acceptWithoutApplying?:
                responder.send(status: 204, headers: [], body: [], keepAlive: keepAlive)
            case .echoAuthorization(let status)?:
                let quoted = (request.header("Authorization") ?? "none").replacingOccurrences(of: "\"", with: "'")
                let body = #"{"errors":[{"message":"rejected credentials \#(quoted)","extensions":{"code":"X"}}]}"#
                responder.send(
                    status: status, headers: [(name: "Content-Type", value: "application/json")],
                    body: Array(body.utf8), keepAlive: keepAlive)
            case .forgeDiffHash(let hash)?:
                guard let instance else { return }
                let response = await instance.handle(request)
                var text = String(decoding: response.body, as: UTF8.self)
                if let range = text.range(of: #""hash":"[0-9a-f]*""#, options: .regularExpression) {
                    text.replaceSubrange(range, with: "\"hash\":\"\(hash)\"")
                }
                responder.send(
                    status: response.status, headers: response.headers, body: Array(text.utf8), keepAlive: keepAlive)
            case .stallAfterHeaders?:
                responder.head(status: 200, framing: .contentLength(100_000))
            case .trickle(let framing, let interval)?:
                responder.head(status: 200, framing: framing)
                while responder.isOpen {
                    responder.body(Array("{".utf8), framing: framing)
                    try? await Task.sleep(for: interval)
                }
            case .endless(let framing)?:
                responder.head(status: 200, framing: framing)
                let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 1 << 20)
                while responder.isOpen {
                    await responder.bodyFlushed(chunk, framing: framing)
                }
            }
        }
    }

    /// Writes an answer from outside the event loop.
    struct Responder: @unchecked Sendable {
        let context: NIOLoopBound<ChannelHandlerContext>
        let handler: NIOLoopBound<Handler>
        let channel: Channel

        init(context: ChannelHandlerContext, handler: Handler) {
            self.context = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.handler = NIOLoopBound(handler, eventLoop: context.eventLoop)
            self.channel = context.channel
        }

        var isOpen: Bool { channel.isActive }

        func send(status: Int, headers: [(name: String, value: String)], body: [UInt8], keepAlive: Bool) {
            channel.eventLoop.execute {
                let context = self.context.value
                let handler = self.handler.value
                var fields = HTTPHeaders()
                for (name, value) in headers where name.lowercased() != "content-length" {
                    fields.add(name: name, value: value)
                }
                fields.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
                if !keepAlive { fields.replaceOrAdd(name: "Connection", value: "close") }
                context.write(
                    handler.wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))),
                    promise: nil)
                if !body.isEmpty {
                    context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                }
                let done = context.writeAndFlush(handler.wrapOutboundOut(.end(nil)))
                if !keepAlive { done.whenComplete { _ in self.context.value.close(promise: nil) } }
            }
        }

        func head(status: Int, framing: Framing) {
            channel.eventLoop.execute {
                var fields = HTTPHeaders()
                fields.add(name: "Content-Type", value: "application/json")
                var version = HTTPVersion.http1_1
                switch framing {
                case .chunked: fields.add(name: "Transfer-Encoding", value: "chunked")
                case .contentLength(let length): fields.add(name: "Content-Length", value: "\(length)")
                case .untilClose:
                    version = .http1_0
                    fields.add(name: "Connection", value: "close")
                }
                let context = self.context.value
                context.writeAndFlush(
                    self.handler.value.wrapOutboundOut(
                        .head(HTTPResponseHead(version: version, status: .init(statusCode: status), headers: fields))),
                    promise: nil)
            }
        }

        func body(_ bytes: [UInt8], framing: Framing) {
            channel.eventLoop.execute {
                let context = self.context.value
                context.writeAndFlush(
                    self.handler.value.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            }
        }

        /// Writes `bytes` and waits until they are handed to the socket (the client's reading paces the loop).
        func bodyFlushed(_ bytes: [UInt8], framing: Framing) async {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            channel.eventLoop.execute {
                let context = self.context.value
                context.writeAndFlush(
                    self.handler.value.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: promise)
            }
            try? await promise.futureResult.get()
        }
    }
}
