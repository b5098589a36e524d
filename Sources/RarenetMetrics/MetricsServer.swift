import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP endpoint that serves `/metrics` and `/healthz`, as a swift-service-lifecycle `Service`.
///
/// ``bind(host:port:limits:logger:exposition:)`` opens the listening socket (so
/// that a port already in use is reported before the sensor starts); ``run()``
/// serves until graceful shutdown or cancellation, then stops accepting, lets
/// every connection finish the response it is writing, and returns once all
/// are closed.
///
/// Every resource is bounded: the number of connections, the header and body
/// sizes of a request, and the time a connection may stay idle.
public final class MetricsServer: Service {
    /// The bounds the server enforces.
    public struct Limits: Sendable, Hashable {
        /// Connections served at once; further ones are closed on accept.
        public var maximumConnections: Int
        /// The largest header section of a request (400 beyond it).
        public var maximumHeaderBytes: Int
        /// The largest request body (413 beyond it; scrapes have none).
        public var maximumBodyBytes: Int
        /// A connection with no read or write for this long is closed.
        public var idleTimeout: Duration

        /// Limits for a loopback scrape endpoint.
        public init(
            maximumConnections: Int = 16,
            maximumHeaderBytes: Int = 8192,
            maximumBodyBytes: Int = 1024,
            idleTimeout: Duration = .seconds(60)
        ) {
            self.maximumConnections = maximumConnections
            self.maximumHeaderBytes = maximumHeaderBytes
            self.maximumBodyBytes = maximumBodyBytes
            self.idleTimeout = idleTimeout
        }
    }

    private let serverChannel: any Channel
    private let connections: ConnectionRegistry
    private let logger: Logger

    private init(serverChannel: any Channel, connections: ConnectionRegistry, logger: Logger) {
        self.serverChannel = serverChannel
        self.connections = connections
        self.logger = logger
    }

    /// The port the server listens on (the chosen one when bound to port 0).
    public var port: Int {
        serverChannel.localAddress?.port ?? 0
    }

    /// Opens the listening socket.
    ///
    /// - Parameters:
    ///   - host: A host name or IP address (from ``MetricsAddress``).
    ///   - port: The TCP port; 0 picks a free one.
    ///   - exposition: Renders the body of `GET /metrics` (typically `metrics.exposition()`);
    ///     called on the server's event loop.
    /// - Throws: ``MetricsServerError`` when the address is in use or cannot be bound.
    public static func bind(
        host: String,
        port: Int,
        limits: Limits = Limits(),
        logger: Logger,
        exposition: @escaping @Sendable () -> [UInt8]
    ) async throws(MetricsServerError) -> MetricsServer {
        let connections = ConnectionRegistry(capacity: limits.maximumConnections)
        let decoderLimits = NIOHTTPDecoderLimitConfiguration(headerBytes: limits.maximumHeaderBytes)
        let idleTimeout = TimeAmount(limits.idleTimeout)
        let maximumBodyBytes = limits.maximumBodyBytes
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: Int32(limits.maximumConnections))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard connections.admit(channel) else {
                    return channel.eventLoop.makeFailedFuture(MetricsServerError.tooManyConnections)
                }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try pipeline.configureHTTPServerPipeline(
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                        withDecoderLimitConfiguration: decoderLimits
                    )
                    try pipeline.addHandler(
                        MetricsHTTPHandler(exposition: exposition, maximumBodyBytes: maximumBodyBytes)
                    )
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            let server = MetricsServer(serverChannel: channel, connections: connections, logger: logger)
            let address = MetricsAddress.listen(host: host, port: server.port)
            logger.info("metrics endpoint listening", metadata: ["address": "\(address)"])
            return server
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw .addressInUse(host: host, port: port)
        } catch {
            throw .cannotBind(host: host, port: port, reason: "\(error)")
        }
    }

    /// Serves until graceful shutdown or cancellation, then closes every connection gracefully.
    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await serverChannel.closeFuture.get()
        } onCancelOrGracefulShutdown: { [serverChannel, connections] in
            serverChannel.close(promise: nil)
            connections.quiesce()
        }
        await connections.waitUntilAllClosed()
        logger.info("metrics endpoint closed")
    }
}

/// Why the metrics endpoint could not start or refused a connection.
public enum MetricsServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another process listens on the address.
    case addressInUse(host: String, port: Int)
    /// Binding failed for another reason (unknown host, no permission, ...).
    case cannotBind(host: String, port: Int, reason: String)
    /// A connection arrived while the maximum number was open.
    case tooManyConnections

    /// One line for the operator.
    public var description: String {
        switch self {
        case .addressInUse(let host, let port):
            "metrics address \(MetricsAddress.listen(host: host, port: port)) is already in use "
                + "(choose another with --metrics-address, or 0 to disable the endpoint)"
        case .cannotBind(let host, let port, let reason):
            "cannot listen on metrics address \(MetricsAddress.listen(host: host, port: port)): \(reason)"
        case .tooManyConnections:
            "too many metrics connections"
        }
    }
}

/// The open connections: admits up to a capacity, and quiesces them all at shutdown.
private final class ConnectionRegistry: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var isQuiescing = false
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Registers a new connection, or returns false when full or shutting down.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { state in
            guard !state.isQuiescing, state.open.count < capacity else { return false }
            state.open[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = state.withLock { $0.open.removeValue(forKey: id) }
            }
        }
        return admitted
    }

    /// Refuses new connections and asks each open one to close after its current response.
    func quiesce() {
        let open = state.withLock { state in
            state.isQuiescing = true
            return Array(state.open.values)
        }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// Returns once every connection admitted so far has closed.
    func waitUntilAllClosed() async {
        let open = state.withLock { Array($0.open.values) }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}

extension NIOHTTPDecoderLimitConfiguration {
    /// Limits with the header section (each field and all together) capped at `headerBytes`.
    fileprivate init(headerBytes: Int) {
        self.init()
        maxHeaderFieldSize = headerBytes
        maxHeaderListSize = headerBytes
        maxHeaderFieldCount = 64
    }
}
