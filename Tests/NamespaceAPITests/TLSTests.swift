import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// HTTPS, mutual TLS and certificate reloads: a real server process, certificates made by openssl
/// in the test, and clients (curl, Python's ssl, openssl s_client) that check what they are served.
@Suite(.serialized) struct TLSTests {
    /// A throwaway PKI in a temporary directory: CAs and the certificates they sign.
    final class PKI {
        let directory: String

        init() throws {
            directory = NSTemporaryDirectory() + "nsd-tls-\(getpid())-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        func path(_ name: String) -> String { directory + "/" + name }

        /// `name.pem` and `name.key` (0600), self-signed.
        func authority(_ name: String) throws {
            try openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj", "/CN=\(name)",
            ])
        }

        /// `name.pem` and `name.key` (0600) signed by `authority`; `extensions` as in an openssl extfile.
        func leaf(_ name: String, signedBy authority: String, subject: String, extensions: String) throws {
            try Data(extensions.utf8).write(to: URL(fileURLWithPath: path(name + ".ext")))
            try openssl([
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj", subject,
            ])
            try openssl([
                "x509", "-req", "-in", path(name + ".csr"), "-CA", path(authority + ".pem"), "-CAkey", path(authority + ".key"),
                "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2", "-extfile", path(name + ".ext"),
            ])
            chmod(path(name + ".key"), 0o600)
        }

        func server(_ name: String, signedBy authority: String) throws {
            try leaf(
                name, signedBy: authority, subject: "/CN=localhost",
                extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        }

        func client(_ name: String, signedBy authority: String, subject: String) throws {
            try leaf(name, signedBy: authority, subject: subject, extensions: "extendedKeyUsage=clientAuth\n")
        }

        /// openssl's SHA-256 fingerprint of a certificate file: the oracle for what a server serves.
        func fingerprint(_ name: String) throws -> String {
            try Self.fingerprint(
                of: Host.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", path(name + ".pem")]).output)
        }

        static func fingerprint(of output: String) -> String {
            output.split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        }

        private func openssl(_ arguments: [String]) throws {
            // openssl reports each signature on stderr; only its exit status matters here.
            let result = try Host.run(["sh", "-c", "exec openssl \"$@\" 2>/dev/null", "openssl"] + arguments)
            try #require(result.status == 0, "openssl \(arguments.joined(separator: " ")) failed")
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// curl's status code for `url` (000: no HTTP answer, e.g. a failed handshake).
    static func curl(_ url: String, _ options: [String]) throws -> String {
        try Host.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + options + [url]).output
    }

    static func python(_ script: String, _ arguments: [String]) throws -> String {
        try Host.run(["python3", "-c", script] + arguments).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The fingerprint of the certificate a fresh handshake is given.
    static func servedFingerprint(port: UInt16, pki: PKI, client: String? = nil) throws -> String {
        let identity = client.map { " -cert \(pki.path($0 + ".pem")) -key \(pki.path($0 + ".key"))" } ?? ""
        let command =
            "openssl s_client -connect 127.0.0.1:\(port) -servername localhost -CAfile \(pki.path("ca.pem"))\(identity) </dev/null 2>/dev/null"
            + " | openssl x509 -noout -fingerprint -sha256"
        return PKI.fingerprint(of: try Host.run(["sh", "-c", command]).output)
    }

    static let fetchStatus = """
        import ssl, sys, urllib.request
        context = ssl.create_default_context(cafile=sys.argv[1])
        try:
            print(urllib.request.urlopen(sys.argv[2], context=context, timeout=10).status)
        except Exception as error:
            print(type(error).__name__, error)
        """

    @Test func curlAndPythonTrustTheCAAndAnotherCAIsRefused() throws {
        let pki = try PKI()
        try pki.authority("ca")
        try pki.authority("other")
        try pki.server("server", signedBy: "ca")
        let server = try RobustServer(arguments: ["--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key")])
        defer { server.stop() }
        let token = try #require(server.adminToken)
        let base = "https://localhost:\(server.port)"
        #expect(try Self.curl(base + "/healthz", ["--cacert", pki.path("ca.pem")]) == "200")
        #expect(
            try Self.curl(base + "/limits", ["--cacert", pki.path("ca.pem"), "-H", "Authorization: Bearer \(token)"]) == "200")
        #expect(try Self.curl(base + "/limits", ["--cacert", pki.path("ca.pem")]) == "401", "TLS does not replace the token")
        #expect(try Self.python(Self.fetchStatus, [pki.path("ca.pem"), base + "/healthz"]) == "200")
        #expect(try Self.servedFingerprint(port: server.port, pki: pki) == pki.fingerprint("server"))

        // A client that trusts only another CA does not accept the server.
        let refused = try Host.run([
            "curl", "-s", "-o", "/dev/null", "--max-time", "10", "--cacert", pki.path("other.pem"), base + "/healthz",
        ])
        #expect(refused.status == 60, "curl: the peer certificate cannot be authenticated (exit \(refused.status))")
        let python = try Self.python(Self.fetchStatus, [pki.path("other.pem"), base + "/healthz"])
        #expect(python.contains("CERTIFICATE_VERIFY_FAILED"), "\(python)")
        // Plain HTTP on the HTTPS port gets no HTTP answer.
        #expect(try Self.curl("http://127.0.0.1:\(server.port)/healthz", []) != "200")
        #expect(server.isRunning)
    }

    @Test func mutualTLSNeedsAClientCertificateFromTheCAAndNamesItsSubject() throws {
        let pki = try PKI()
        try pki.authority("ca")
        try pki.authority("other")
        try pki.server("server", signedBy: "ca")
        try pki.client("alice", signedBy: "ca", subject: "/O=Example/CN=alice")
        try pki.client("mallory", signedBy: "other", subject: "/O=Example/CN=mallory")
        let server = try RobustServer(arguments: [
            "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"),
            "--tls-client-ca", pki.path("ca.pem"),
        ])
        defer { server.stop() }
        let base = "https://localhost:\(server.port)"
        let trust = ["--cacert", pki.path("ca.pem")]
        func identity(_ name: String) -> [String] { ["--cert", pki.path(name + ".pem"), "--key", pki.path(name + ".key")] }

        // The handshake itself fails: no route answers, not even /healthz.
        #expect(try Self.curl(base + "/healthz", trust) == "000", "no client certificate")
        #expect(try Self.curl(base + "/healthz", trust + identity("mallory")) == "000", "a client certificate from another CA")
        #expect(
            try Self.curl(base + "/healthz", trust + identity("server")) == "000",
            "a certificate the CA issued for serverAuth only")
        #expect(try Self.curl(base + "/sandboxes", trust + identity("alice")) == "200", "alice, with no token")

        let deleted = try Self.curl(base + "/sandboxes/no-such-sandbox", trust + identity("alice") + ["-X", "DELETE"])
        #expect(deleted == "404")
        let subject = try Host.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", pki.path("alice.pem")])
            .output.replacingOccurrences(of: "subject=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(subject == "CN=alice,O=Example")
        let last = Proc.read(server.stateDirectory + "/audit.log").split(separator: "\n").last.map(String.init) ?? ""
        let line = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
        #expect(
            line["principal"] as? String == subject && line["status"] as? Int == 404 && line["method"] as? String == "DELETE",
            "\(last)")
        #expect(server.isRunning)
    }

    /// Keeps one HTTPS connection open: a request, then (once `go` exists) another on the same
    /// connection; prints the first status, the certificate's fingerprint, then the second status.
    static let keepAlive = """
        import hashlib, http.client, os, ssl, sys, time
        cafile, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        connection = http.client.HTTPSConnection("localhost", port, context=ssl.create_default_context(cafile=cafile), timeout=10)
        connection.auto_open = 0
        connection.connect()
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        print(response.status, hashlib.sha256(connection.sock.getpeercert(True)).hexdigest(), flush=True)
        deadline = time.time() + 20
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.05)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            print(response.status, flush=True)
        except Exception as error:
            print(type(error).__name__, error, flush=True)
        """

    @Test func sighupServesTheNewPairToTheNextHandshakeAndKeepsOpenConnections() throws {
        let pki = try PKI()
        try pki.authority("ca")
        try pki.server("first", signedBy: "ca")
        try pki.server("second", signedBy: "ca")
        try pki.server("third", signedBy: "ca")
        let certificate = pki.path("serving.pem")
        let key = pki.path("serving.key")
        func serve(_ name: String) throws {
            try? FileManager.default.removeItem(atPath: certificate)
            try? FileManager.default.removeItem(atPath: key)
            try FileManager.default.copyItem(atPath: pki.path(name + ".pem"), toPath: certificate)
            try FileManager.default.copyItem(atPath: pki.path(name + ".key"), toPath: key)
        }
        try serve("first")
        let server = try RobustServer(arguments: ["--tls-cert", certificate, "--tls-key", key])
        defer { server.stop() }
        let first = try pki.fingerprint("first")
        let second = try pki.fingerprint("second")
        #expect(try Self.servedFingerprint(port: server.port, pki: pki) == first)

        let go = pki.path("go")
        let output = pki.path("client.out")
        let client = try Background([
            "sh", "-c", "exec python3 -c \"$0\" \"$@\" > \(output) 2>&1", Self.keepAlive,
            pki.path("ca.pem"), String(server.port), go,
        ])
        defer { client.stop() }
        try #require(eventually(10) { Proc.read(output).contains("\n") }, "the keep-alive client: \(Proc.read(output))")
        let opened = Proc.read(output).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(opened.first == "200")
        #expect(
            opened.last?.uppercased() == first.replacingOccurrences(of: ":", with: ""),
            "the open connection has the first certificate")

        try serve("second")
        kill(server.pid, SIGHUP)
        try #require(eventually(5) { server.log.contains("SIGHUP: serving the new certificate") }, "\(server.log)")
        #expect(try Self.servedFingerprint(port: server.port, pki: pki) == second, "the next handshake gets the new certificate")

        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(eventually(15) { !client.process.isRunning })
        let lines = Proc.read(output).split(separator: "\n")
        #expect(
            lines.count == 2 && lines.last == "200", "a request on the connection opened before the reload: \(Proc.read(output))")

        // A key that does not belong to the certificate: the pair in use stays.
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: pki.path("third.key"), toPath: key)
        kill(server.pid, SIGHUP)
        #expect(
            eventually(5) { server.log.contains("keeping the current certificate: the key does not belong to the certificate") },
            "\(server.log)")
        #expect(try Self.servedFingerprint(port: server.port, pki: pki) == second)
        #expect(try Self.curl("https://localhost:\(server.port)/healthz", ["--cacert", pki.path("ca.pem")]) == "200")
        #expect(server.isRunning)
    }

    @Test func badTLSSettingsAreRefusedAtStart() throws {
        let pki = try PKI()
        try pki.authority("ca")
        try pki.server("server", signedBy: "ca")
        try pki.server("stranger", signedBy: "ca")
        let readableKey = pki.path("readable.key")
        try FileManager.default.copyItem(atPath: pki.path("server.key"), toPath: readableKey)
        chmod(readableKey, 0o644)
        let garbage = pki.path("garbage.pem")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let cert = pki.path("server.pem")
        let key = pki.path("server.key")
        let cases: [(arguments: [String], named: String)] = [
            (["--tls-cert", cert, "--tls-key", readableKey], readableKey),
            (["--tls-cert", cert, "--tls-key", pki.path("stranger.key")], "the key does not belong to the certificate"),
            (["--tls-cert", garbage, "--tls-key", key], "the certificate file"),
            (["--tls-cert", cert, "--tls-key", key, "--tls-client-ca", garbage], "the client CA file"),
            (["--tls-cert", cert], "--tls-key"),
            (["--tls-client-ca", pki.path("ca.pem")], "--tls-client-ca"),
            (["--listen", "0.0.0.0:0"], "refusing plain HTTP on 0.0.0.0:0"),
        ]
        for (arguments, named) in cases {
            let result = try Host.runWithStatus(
                [Host.serverBinary, "--listen", "127.0.0.1:0", "--state-dir", pki.path("state")] + arguments)
            #expect(result.status != 0, "\(arguments) started")
            #expect(result.output.contains(named), "\(arguments): \(result.output)")
        }
        // Off loopback, TLS (with the generated token) is enough; so is an explicit --allow-plaintext.
        for arguments in [["--tls-cert", cert, "--tls-key", key], ["--allow-plaintext"]] {
            let result = try Host.runWithStatus(
                [Host.serverBinary, "--listen", "0.0.0.0:0", "--state-dir", pki.path("state")] + arguments,
                seconds: 3)
            #expect(result.status == 0 && result.output.contains("listening on 0.0.0.0:"), "\(arguments): \(result.output)")
        }
    }
}
