import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Serves an `EmulatedInstance` over HTTP/1.1 on a host and port (port 0 picks a free one).
public struct EmulatorServer: Sendable {
    public let instance: EmulatedInstance
    public let host: String
    public let port: Int
    /// Bodies larger than this are refused outright (the connection is closed).
    public var hardBodyLimit: Int
    /// Serve HTTPS with this certificate and key (PEM files) instead of plain HTTP.
    public var tls: (certificatePath: String, privateKeyPath: String)?

    public init(
        instance: EmulatedInstance, host: String = "127.0.0.1", port: Int = 0, hardBodyLimit: Int = 256 << 20,
        tls: (certificatePath: String, privateKeyPath: String)? = nil
    ) {
        self.instance = instance
        self.host = host
        self.port = port
        self.hardBodyLimit = hardBodyLimit
        self.tls = tls
    }

    /// Binds, calls `onReady` with the base URL (`http://127.0.0.1:PORT`), then serves until the task is cancelled.
    public func run(onReady: @Sendable (String) async -> Void = { _ in }) async throws {
        let sslContext: NIOSSLContext? = try tls.map { tls in
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)))
            return try NIOSSLContext(configuration: configuration)
        }
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = serverChannel.channel.localAddress?.port ?? port
        let displayHost = host.contains(":") ? "[\(host)]" : host
        await onReady("\(tls == nil ? "http" : "https")://\(displayHost):\(boundPort)")
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            await serve(connection)
                        }
                    }
                }
            }
        } onCancel: {
            serverChannel.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        tooLarge = false
                    case .body(var buffer):
                        if body.count + buffer.readableBytes > hardBodyLimit {
                            tooLarge = true
                        } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                            body.append(contentsOf: bytes)
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        if tooLarge { return }
                        let request = EmulatorRequest(
                            method: requestHead.method.rawValue, target: requestHead.uri,
                            headers: requestHead.headers.map { ($0.name, $0.value) }, body: body)
                        let response = await instance.handle(request)
                        if let delay = response.delay { try await Task.sleep(for: delay) }
                        switch response.delivery {
                        case .drop:
                            return
                        case .truncate:
                            try await write(response, to: outbound, keepAlive: false, truncated: true)
                            return
                        case .normal:
                            try await write(
                                response, to: outbound, keepAlive: requestHead.isKeepAlive, truncated: false)
                            if !requestHead.isKeepAlive { return }
                        }
                        head = nil
                    }
                }
            }
        } catch {
            // A client that goes away mid-request is not the server's problem.
        }
    }

    private func write(
        _ response: EmulatorResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        keepAlive: Bool, truncated: Bool
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        headers.add(name: "X-Powered-By", value: "Directus (directus-promoter emulator)")
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        let bytes = truncated ? Array(response.body.prefix(response.body.count / 2)) : response.body
        if !bytes.isEmpty {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        }
        if !truncated {
            try await outbound.write(.end(nil))
        }
    }
}
