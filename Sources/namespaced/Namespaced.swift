#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HTTPServer
import Logging
import NamespaceAPI
import NamespaceKit

@main
struct Namespaced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespaced",
        abstract: "HTTP API to list Linux namespaces and run commands in new ones.")

    @Option(help: "HOST:PORT, [IPv6]:PORT, or unix:PATH (the socket is made mode 0600).")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Directory for the registry snapshot and sandbox logs (default: /var/lib/namespaced as root, else $XDG_STATE_HOME/namespaced).")
    var stateDir: String?

    @Option(help: "File holding the bearer token every route but /healthz requires (or set NAMESPACED_TOKEN).")
    var tokenFile: String?

    @Option(help: "Most sandboxes the server keeps at once (0: no quota).")
    var maxSandboxes: Int = 0

    @Option(help: "HTTP worker threads (default: the number of cores).")
    var threads: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(help: "Start with an empty registry when no registry snapshot can be read (the damaged files are kept).")
    var allowEmptyRegistry = false

    @Option(help: "fsync (default): a 201 means the sandbox is on disk. none: skip syncs, for benchmarks only.")
    var durability: String = "fsync"

    func validate() throws {
        guard ListenAddress(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT or unix:PATH, not '\(listen)'")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256") }
        guard RegistryStore.Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be fsync or none") }
        guard maxSandboxes >= 0 else { throw ValidationError("--max-sandboxes must be 0 or more") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "namespaced")
        let address = ListenAddress(listen)!
        let token = try ServerSettings.token(file: tokenFile, environment: ProcessInfo.processInfo.environment)
        if token == nil, !address.isLocalOnly {
            throw ValidationError("refusing to listen on \(address) without a token: anyone who can reach it could run commands as root here. Pass --token-file or set NAMESPACED_TOKEN, or listen on loopback or a unix socket.")
        }
        let stateDirectory = ServerSettings.stateDirectory(stateDir)
        ServerSettings.raiseFileLimit()
        // Block the stop signals before any thread starts, so every thread inherits the mask and
        // only the sigwait below receives them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let sandboxes: SandboxManager
        do {
            sandboxes = try SandboxManager(stateDirectory: stateDirectory, quota: maxSandboxes,
                                           durability: RegistryStore.Durability(rawValue: durability)!,
                                           allowEmptyRegistry: allowEmptyRegistry)
        } catch {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(2)
        }
        for warning in sandboxes.startupWarnings { logger.warning("registry: \(warning)") }
        let api = NamespaceAPI(token: token, openAPIDocument: OpenAPIDocument.load(), sandboxes: sandboxes)
        let configuration = HTTPServerConfiguration(
            listen: address, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let server = try HTTPServer(configuration: configuration, handler: api, logger: logger)
        let shown = server.port.map { port -> String in
            if case .tcp(let host, _) = address { return ListenAddress.tcp(host: host, port: port).description }
            return address.description
        } ?? address.description
        logger.notice("listening on \(shown), state directory \(stateDirectory), auth \(token == nil ? "off" : "on")")

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.notice("signal \(received): finishing in-flight requests and stopping")
        server.stop()
        do {
            let snapshot = try sandboxes.checkpoint()
            logger.notice("wrote snapshot generation \(snapshot.generation): \(snapshot.sandboxes) sandboxes, \(snapshot.bytes) bytes in \(Int(snapshot.seconds * 1000)) ms")
        } catch {
            logger.error("could not write the final registry snapshot: \(error); the journal still holds every change")
        }
        logger.notice("stopped; sandboxes keep running")
    }
}
