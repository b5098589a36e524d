import NIOCore
import NIOHTTP1

/// Answers the HTTP requests of one metrics connection.
///
/// `GET /metrics` renders the exposition, `GET /healthz` answers `ok`, any other
/// path is 404 and any other method 405. A request body larger than the limit
/// gets 413 and the connection is closed; so is a connection idle for longer
/// than the idle timeout (an `IdleStateHandler` ahead in the pipeline fires it).
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The content type of the Prometheus text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let exposition: @Sendable () -> [UInt8]
    private let maximumBodyBytes: Int
    private var request: HTTPRequestHead?
    private var bodyBytes = 0
    private var rejected = false

    init(exposition: @escaping @Sendable () -> [UInt8], maximumBodyBytes: Int) {
        self.exposition = exposition
        self.maximumBodyBytes = maximumBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !rejected else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            bodyBytes = 0
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > maximumBodyBytes {
                rejected = true
                respond(context: context, status: .payloadTooLarge, keepAlive: false, version: request?.version)
            }
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard head.method == .GET else {
            respond(context: context, status: .methodNotAllowed, extraHeaders: [("Allow", "GET")],
                    keepAlive: head.isKeepAlive, version: head.version)
            return
        }
        switch path {
        case "/metrics":
            respond(context: context, status: .ok, contentType: Self.metricsContentType, body: exposition(),
                    keepAlive: head.isKeepAlive, version: head.version)
        case "/healthz":
            respond(context: context, status: .ok, body: Array("ok\n".utf8),
                    keepAlive: head.isKeepAlive, version: head.version)
        default:
            respond(context: context, status: .notFound, keepAlive: head.isKeepAlive, version: head.version)
        }
    }

    /// Writes a whole response; without a body, the body is the status line's reason.
    private func respond(
        context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        contentType: String = "text/plain; charset=utf-8",
        body: [UInt8]? = nil,
        extraHeaders: [(String, String)] = [],
        keepAlive: Bool,
        version: HTTPVersion?
    ) {
        let body = body ?? Array("\(status.reasonPhrase)\n".utf8)
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))])
        headers.add(contentsOf: extraHeaders)
        if !keepAlive { headers.add(name: "Connection", value: "close") }

        let head = HTTPResponseHead(version: version ?? .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
