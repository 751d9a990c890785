import Foundation
@testable import NamespaceKit
import Testing

/// Confinement's pure parts: capability names and masks, the seccomp profile and its documentation.
struct ConfinementUnitTests {
    @Test func dockersDefaultsAreTheMaskProcStatusShows() {
        #expect(Capability.mask(Set(Capability.defaults)) == 0xa804_25fb)
        #expect(Capability.mask(["ALL"]) == (1 << 41) - 1)
        #expect(Capability.effective(add: ["NET_ADMIN"], drop: ["ALL"]) == ["NET_ADMIN"])
        #expect(Capability.effective(add: [], drop: ["CHOWN"]).count == 13)
    }

    @Test(arguments: ["net_admin", "CAP_NET_ADMIN", "cap_net_admin", "Net_Admin"])
    func capabilityNamesInAnySpelling(name: String) {
        #expect(Capability.canonical(name) == "NET_ADMIN")
    }

    @Test func unknownCapabilitiesAreNotCanonical() {
        #expect(Capability.canonical("CAP_") == nil)
        #expect(Capability.canonical("NET_ADMINX") == nil)
        #expect(Capability.canonical("all") == "ALL")
    }

    @Test func theDefaultProfileCompilesToClassicBPF() throws {
        let plain = try SeccompFilter.program(sysAdmin: false)
        let admin = try SeccompFilter.program(sysAdmin: true)
        #expect(!plain.isEmpty && plain.count % 8 == 0)
        #expect(plain.count / 8 < 4096, "the kernel's BPF_MAXINSNS")
        #expect(admin != plain)
        #expect(try SeccompFilter.program(sysAdmin: false) == plain, "compiled once, then cached")
    }

    @Test func neverAllowedCallsAreNotInTheProfile() {
        let allowed = Set(SeccompProfile.allowed + SeccompProfile.withSysAdmin)
        for call in [
            "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
            "perf_event_open", "keyctl", "add_key", "request_key", "reboot", "swapon", "swapoff",
            "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "acct", "quotactl", "syslog",
            "userfaultfd", "open_by_handle_at", "iopl", "ioperm", "io_uring_setup", "clone", "clone3",
        ] {
            #expect(!allowed.contains(call), "\(call) must not be allowed unconditionally")
        }
        #expect(Set(SeccompProfile.allowed).count == SeccompProfile.allowed.count, "no call listed twice")
    }

    /// docs/confinement.md lists the profile; it must say what the code does.
    @Test func theDocumentedProfileIsTheProfile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/confinement.md"), encoding: .utf8)
        let list = try #require(text.components(separatedBy: "that file equal):").last)
        let groups = list.components(separatedBy: "\n\n").filter { $0.hasPrefix("**") }
        func calls(_ group: String) -> Set<String> {
            Set(group.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        }
        let sysAdmin = try #require(groups.first { $0.hasPrefix("**Only when SYS_ADMIN") })
        #expect(calls(sysAdmin) == Set(SeccompProfile.withSysAdmin))
        let documented = groups.filter { !$0.hasPrefix("**Only when SYS_ADMIN") }.map(calls).reduce(Set(), { $0.union($1) })
        #expect(documented == Set(SeccompProfile.allowed))
    }
}
