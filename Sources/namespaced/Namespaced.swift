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
        abstract: "HTTP API to list Linux namespaces and run commands in new ones.",
        version: NamespaceAPI.version)

    @Option(help: "HOST:PORT, [IPv6]:PORT, or unix:PATH (the socket is made mode 0600).")
    var listen: String = "127.0.0.1:8080"

    @Option(
        help:
            "Directory for the registry snapshot and sandbox logs (default: /var/lib/namespaced as root, else $XDG_STATE_HOME/namespaced)."
    )
    var stateDir: String?

    @Option(help: "File holding the admin bearer token (or set NAMESPACED_TOKEN). Mode 0600, at least 16 bytes.")
    var tokenFile: String?

    @Option(help: "File of scoped tokens, one 'NAME SCOPE TOKEN' a line (scope read, operate or admin); reloaded on SIGHUP.")
    var tokensFile: String?

    @Option(help: "With unix:PATH: members of this group may use the socket (made 0660 with this group); root always may.")
    var socketGroup: String?

    @Option(help: "Another host name the Host header may carry (repeatable); the listen address and localhost always may.")
    var allowedHost: [String] = []

    @Option(help: "Where the audit log of changing requests goes (default: STATE_DIR/audit.log).")
    var auditLog: String?

    @Flag(help: "No authentication at all (loopback only, for tests).")
    var noAuth = false

    @Flag(help: "Allow a non-loopback TCP address without TLS.")
    var allowPlaintext = false

    @Option(help: "PEM certificate (then any intermediates) to serve HTTPS with; reloaded on SIGHUP.")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert (mode 0600, unencrypted); reloaded on SIGHUP.")
    var tlsKey: String?

    @Option(
        help:
            "PEM CA certificate(s): mutual TLS, every client must present a certificate signed by one; its subject becomes the principal."
    )
    var tlsClientCa: String?

    @Option(help: "Most sandboxes the server keeps at once (0: no quota).")
    var maxSandboxes: Int = 0

    @Option(help: "HTTP worker threads (default: the number of cores).")
    var threads: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(
        help:
            "One JSON line per request: - (standard output), a FILE (appended to; reopened on SIGHUP), or off."
    )
    var accessLog: String = "-"

    @Flag(help: "Start with an empty registry when no registry snapshot can be read (the damaged files are kept).")
    var allowEmptyRegistry = false

    @Option(help: "fsync (default): a 201 means the sandbox is on disk. none: skip syncs, for benchmarks only.")
    var durability: String = "fsync"

    @Option(help: "auto (default), v2, v1 or none: which cgroup hierarchies give sandboxes their cgroup.")
    var cgroupDriver: String = "auto"

    @Option(
        help:
            "Cgroup under which each sandbox's cgroup is made, in every hierarchy: absolute from the hierarchy's root (/namespaced), or relative to the server's own cgroup."
    )
    var cgroupParent: String = "namespaced"

    @Option(help: "Bytes kept free in the state directory's file system (at most a twentieth of it): below, creates answer 503.")
    var storageReserve: Int64 = StorageReserve.defaultBytes

    func validate() throws {
        guard ListenAddress(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT or unix:PATH, not '\(listen)'")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256") }
        guard RegistryStore.Durability(rawValue: durability) != nil else {
            throw ValidationError("--durability must be fsync or none")
        }
        guard CgroupDriver(rawValue: cgroupDriver) != nil else {
            throw ValidationError("--cgroup-driver must be auto, v2, v1 or none")
        }
        guard !accessLog.isEmpty else { throw ValidationError("--access-log must be -, off or a file") }
        guard storageReserve >= 0 else { throw ValidationError("--storage-reserve must be 0 or more bytes") }
        guard maxSandboxes >= 0 else { throw ValidationError("--max-sandboxes must be 0 or more") }
        let address = ListenAddress(listen)!
        if socketGroup != nil, case .tcp = address { throw ValidationError("--socket-group needs a unix:PATH address") }
        if let socketGroup, UnixGroups.gid(of: socketGroup) == nil {
            throw ValidationError("--socket-group: no group '\(socketGroup)'")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsClientCa != nil, tlsCert == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        if tlsCert != nil, case .unix = address {
            throw ValidationError("--tls-cert needs a TCP address; a unix socket authorizes by peer credentials")
        }
        if case .tcp = address, !address.isLoopback, tlsCert == nil, !allowPlaintext {
            throw ValidationError(
                "refusing plain HTTP on \(address): tokens would cross the network in clear. Give --tls-cert and --tls-key, use a loopback address or a unix socket, or pass --allow-plaintext."
            )
        }
    }

    func run() throws {
        try ServerSettings.requireSpawner()
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "namespaced")
        let address = ListenAddress(listen)!
        let environmentToken = try Credentials.takeEnvironmentToken()
        let stateDirectory = ServerSettings.stateDirectory(stateDir)
        let tlsSetup = tlsCert.map { TLSSetup(certificateFile: $0, keyFile: tlsKey!, clientAuthorityFile: tlsClientCa) }
        let tls = try tlsSetup?.configuration()
        ServerSettings.raiseFileLimit()
        // Block the stop signals before any thread starts, so every thread inherits the mask and
        // only the sigwait below receives them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let sandboxes: SandboxManager
        do {
            let cgroups = try CgroupLayout.setUp(driver: CgroupDriver(rawValue: cgroupDriver)!, parent: cgroupParent)
            logger.notice("cgroups: \(cgroups.summary)")
            sandboxes = try SandboxManager(
                stateDirectory: stateDirectory, quota: maxSandboxes,
                durability: RegistryStore.Durability(rawValue: durability)!,
                allowEmptyRegistry: allowEmptyRegistry,
                hiddenPaths: [tokenFile, tokensFile, auditLog, accessLogFile, tlsCert, tlsKey, tlsClientCa].compactMap { $0 },
                cgroups: cgroups, reserve: StorageReserve(bytes: storageReserve))
        } catch {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(2)
        }
        for warning in sandboxes.startupWarnings { logger.warning("registry: \(warning)") }
        // Credentials and the audit log come after the manager: it creates, checks and locks the
        // state directory they may live in.
        let accessSetup = AccessSetup(
            address: address, stateDirectory: stateDirectory, tokenFile: tokenFile,
            environmentToken: environmentToken, tokensFile: tokensFile, noAuth: noAuth,
            scheme: tls == nil ? "http" : "https")
        let group = socketGroup.flatMap(UnixGroups.gid(of:))
        let policy = try accessSetup.policy(socketGroup: group, logger: logger)
        let audit: AuditFile
        do throws(AuditFileError) { audit = try AuditFile(path: auditLog ?? stateDirectory + "/audit.log") } catch {
            throw ValidationError(error.description)
        }
        let access = NamespaceAPI.Access(policy: policy, hosts: HostCheck(listen: address, names: allowedHost), audit: audit)
        let statistics = ServerStatistics()
        let api = NamespaceAPI(
            access: access, openAPIDocument: OpenAPIDocument.load(), sandboxes: sandboxes, statistics: statistics)
        var configuration = HTTPServerConfiguration(
            listen: address, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        configuration.statistics = statistics
        configuration.accessLog = try openAccessLog(statistics: statistics)
        configuration.socketGroup = group
        configuration.tls = tls
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, handler: api, logger: logger)
        } catch let error as TLSError {
            throw ValidationError("TLS: \(error)")
        }
        let shown =
            server.port.map { port -> String in
                if case .tcp(let host, _) = address { return ListenAddress.tcp(host: host, port: port).description }
                return address.description
            } ?? address.description
        let auth =
            policy.anonymous ? "OFF" : "\(policy.tokens.entries.count) token(s)" + (group.map { ", socket group \($0)" } ?? "")
        let https =
            server.certificate.map { " (HTTPS: \($0)\(tlsClientCa == nil ? "" : "; client certificates required"))" } ?? ""
        logger.notice("listening on \(shown)\(https), state directory \(stateDirectory), auth \(auth)")

        var received: Int32 = 0
        while true {
            sigwait(&stopSignals, &received)
            guard received == SIGHUP else { break }
            reload(accessSetup, policy, logger)
            if let tlsSetup { reload(tlsSetup, server, logger) }
            if let log = configuration.accessLog { reopen(log, logger) }
        }
        logger.notice("signal \(received): finishing in-flight requests and stopping")
        server.stop()
        configuration.accessLog?.close()
        do {
            let snapshot = try sandboxes.checkpoint()
            logger.notice(
                "wrote snapshot generation \(snapshot.generation): \(snapshot.sandboxes) sandboxes, \(snapshot.bytes) bytes in \(Int(snapshot.seconds * 1000)) ms"
            )
        } catch {
            logger.error("could not write the final registry snapshot: \(error); the journal still holds every change")
        }
        sandboxes.cgroups.removeEmptyParents()
        logger.notice("stopped; sandboxes keep running")
    }

    /// The access log's file, which sandboxes must not see (a device such as /dev/stdout is not one).
    private var accessLogFile: String? {
        accessLog == "-" || accessLog == "off" || accessLog.hasPrefix("/dev/") ? nil : accessLog
    }

    private func openAccessLog(statistics: ServerStatistics) throws -> AccessLog? {
        guard accessLog != "off" else { return nil }
        do throws(AccessLogError) {
            return try AccessLog(destination: accessLog == "-" ? .standardOutput : .file(accessLog), statistics: statistics)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// SIGHUP: the access log's file again (logrotate moved it); if it cannot be opened, the
    /// current one stays in use.
    private func reopen(_ log: AccessLog, _ logger: Logger) {
        guard case .file(let path) = log.destination else { return }
        do throws(AccessLogError) {
            try log.reopen()
            logger.notice("SIGHUP: reopened the access log \(path)")
        } catch {
            logger.error("SIGHUP: keeping the current access log: \(error)")
        }
    }

    /// SIGHUP: the certificate and key again; a pair that does not load keeps the one in use.
    private func reload(_ setup: TLSSetup, _ server: HTTPServer, _ logger: Logger) {
        do {
            let (certificate, key) = try setup.pair()
            let served = try server.reloadCertificate(certificate: certificate, key: key)
            logger.notice("SIGHUP: serving the new certificate, \(served)")
        } catch {
            logger.error("SIGHUP: keeping the current certificate: \(error)")
        }
    }

    /// SIGHUP: the token files again; a file that no longer passes keeps the tokens in force.
    private func reload(_ setup: AccessSetup, _ policy: AccessPolicy, _ logger: Logger) {
        guard !policy.anonymous else { return }
        do {
            policy.tokens = try setup.tokens(logger: logger)
            logger.notice("SIGHUP: reloaded \(policy.tokens.entries.count) token(s)")
        } catch {
            logger.error("SIGHUP: keeping the current tokens: \(error)")
        }
    }
}
