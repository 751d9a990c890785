import ArgumentParser
import HTTPServer
import Logging

/// Turns the access options into a policy, and rebuilds the token table on SIGHUP.
struct AccessSetup {
    var address: ListenAddress
    var stateDirectory: String
    var tokenFile: String?
    var environmentToken: String?
    var tokensFile: String?
    var noAuth: Bool
    /// How the logged curl line reaches the server.
    var scheme = "http"

    /// The table as the files say now: the admin token (file, environment, or generated for TCP),
    /// then the scoped tokens.
    func tokens(logger: Logger) throws -> TokenTable {
        var entries: [TokenTable.Entry] = []
        if let tokenFile {
            entries.append(.init(name: "admin", scope: .admin, secret: try Credentials.adminToken(file: tokenFile)))
        } else if let environmentToken {
            entries.append(.init(name: "admin", scope: .admin, secret: environmentToken))
        }
        if let tokensFile {
            let scoped = try Credentials.tokensFile(tokensFile)
            for entry in scoped.entries where entries.contains(where: { $0.name == entry.name }) {
                throw ValidationError(
                    "\(tokensFile): the name '\(entry.name)' is taken by the --token-file/NAMESPACED_TOKEN token")
            }
            entries += scoped.entries
        }
        if entries.isEmpty, case .tcp = address, !noAuth {
            let generated = try Credentials.generatedToken(stateDirectory: stateDirectory)
            logger.notice(
                "\(generated.created ? "generated" : "using") the admin token in \(generated.path); try: curl -H \"Authorization: Bearer $(cat \(generated.path))\" \(scheme)://\(address)/namespaces"
            )
            entries.append(.init(name: "admin", scope: .admin, secret: generated.token))
        }
        return TokenTable(entries)
    }

    func policy(socketGroup: UInt32?, logger: Logger) throws -> AccessPolicy {
        if noAuth {
            guard address.isLoopback else { throw ValidationError("--no-auth is only allowed on a loopback TCP address") }
            logger.warning(
                "AUTHENTICATION IS OFF (--no-auth): every local user can run commands as root through \(address). Use this only in tests."
            )
            return AccessPolicy(tokens: TokenTable([]), anonymous: true)
        }
        return AccessPolicy(tokens: try tokens(logger: logger), socketGroup: socketGroup)
    }
}
