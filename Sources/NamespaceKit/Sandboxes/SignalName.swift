import CNamespace
#if canImport(Glibc)
import Glibc
#endif

/// Signal names as operators type them (`TERM`, `SIGTERM`, `15`), and back.
public enum SignalName {
    static let table: [(String, Int32)] = [
        ("SIGHUP", SIGHUP), ("SIGINT", SIGINT), ("SIGQUIT", SIGQUIT), ("SIGILL", SIGILL), ("SIGTRAP", SIGTRAP),
        ("SIGABRT", SIGABRT), ("SIGBUS", SIGBUS), ("SIGFPE", SIGFPE), ("SIGKILL", SIGKILL), ("SIGUSR1", SIGUSR1),
        ("SIGSEGV", SIGSEGV), ("SIGUSR2", SIGUSR2), ("SIGPIPE", SIGPIPE), ("SIGALRM", SIGALRM), ("SIGTERM", SIGTERM),
        ("SIGCHLD", SIGCHLD), ("SIGCONT", SIGCONT), ("SIGSTOP", SIGSTOP), ("SIGTSTP", SIGTSTP), ("SIGTTIN", SIGTTIN),
        ("SIGTTOU", SIGTTOU), ("SIGURG", SIGURG), ("SIGXCPU", SIGXCPU), ("SIGXFSZ", SIGXFSZ), ("SIGVTALRM", SIGVTALRM),
        ("SIGPROF", SIGPROF), ("SIGWINCH", SIGWINCH), ("SIGIO", SIGIO), ("SIGPWR", SIGPWR), ("SIGSYS", SIGSYS),
    ]

    public static func name(of number: Int32) -> String {
        if let entry = table.first(where: { $0.1 == number }) { return entry.0 }
        if number >= nsd_sigrtmin() && number <= nsd_sigrtmax() { return "SIGRTMIN+\(number - nsd_sigrtmin())" }
        return "SIG\(number)"
    }

    /// nil when the text names no signal.
    public static func number(of text: String) -> Int32? {
        let upper = text.uppercased()
        let full = upper.hasPrefix("SIG") ? upper : "SIG" + upper
        return table.first { $0.0 == full }?.1
    }

    public static func isValid(_ number: Int) -> Bool { number >= 1 && number <= Int(nsd_sigrtmax()) }
}
