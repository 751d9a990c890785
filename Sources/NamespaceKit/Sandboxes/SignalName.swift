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

    /// nil when the text names no signal. Names are upper case, with or without `SIG`, as
    /// `kill -l` prints them and systemd reads them; real-time signals as `RTMIN+n` and `RTMAX-n`.
    public static func number(of text: String) -> Int32? {
        let full = text.hasPrefix("SIG") ? text : "SIG" + text
        if let entry = table.first(where: { $0.0 == full }) { return entry.1 }
        let low = nsd_sigrtmin()
        let high = nsd_sigrtmax()
        for (base, origin, sign) in [("SIGRTMIN", low, Int32(1)), ("SIGRTMAX", high, Int32(-1))] where full.hasPrefix(base) {
            let rest = full.dropFirst(base.count)
            if rest.isEmpty { return origin }
            guard rest.first == (sign > 0 ? "+" : "-"), let offset = Int32(rest.dropFirst()),
                rest.dropFirst().allSatisfy({ $0 >= "0" && $0 <= "9" }), rest.dropFirst().first != "0",
                offset >= 1, offset <= high - low
            else { return nil }
            return origin + sign * offset
        }
        return nil
    }

    public static func isValid(_ number: Int) -> Bool { number >= 1 && number <= Int(nsd_sigrtmax()) }
}
