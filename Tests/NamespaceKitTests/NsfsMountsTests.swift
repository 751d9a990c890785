import Glibc
import Testing
@testable import NamespaceKit

struct NsfsMountsTests {
    @Test func parsesNsfsLinesAndSkipsOthers() {
        let text = """
            22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw
            601 25 0:4 net:[4026532300] /run/netns/blue rw shared:300 - nsfs nsfs rw
            602 25 0:4 net:[4026532300] /run/netns/blue-again rw shared:300 - nsfs nsfs rw
            603 25 0:4 uts:[4026532400] /srv/with\\040space rw - nsfs nsfs rw
            """
        let mounts = NsfsMounts.parse(text)
        #expect(
            mounts == [
                NsfsMount(type: .net, inode: 4_026_532_300, mountPoint: "/run/netns/blue"),
                NsfsMount(type: .uts, inode: 4_026_532_400, mountPoint: "/srv/with space"),
            ])
    }

    @Test func unescapesOctal() {
        #expect(NsfsMounts.unescape("/a\\011b\\134c") == "/a\tb\\c")
        #expect(NsfsMounts.unescape("/trailing\\04") == "/trailing\\04")
    }
}

struct NamespaceTypeTests {
    @Test func parsesCommaSeparatedLists() {
        #expect(NamespaceType.parseList("pid,net") == [.pid, .net])
        #expect(NamespaceType.parseList("pid,") == nil)
        #expect(NamespaceType.parseList("PID") == nil)
        #expect(NamespaceType.allCases.count == 8)
    }
}

struct InventoryUnitTests {
    @Test func ownNamespacesAreListedWithThisProcessCounted() {
        let inventory = Inventory()
        let mine = inventory.list(InventoryQuery(pid: getpid()))
        #expect(mine.count == 8)
        #expect(Set(mine.map(\.type)) == Set(NamespaceType.allCases))
        #expect(mine.allSatisfy { $0.nprocs >= 1 && $0.pid != nil && $0.pid! <= getpid() })
    }

    @Test func hostNamespacesAreFoundWithoutHardCodedInodes() {
        let initial = HostNamespaces.initial()
        #expect(initial.count == 8)
        #expect(Set(initial.values).count == 8)
    }

    @Test func missingThingsAreTypedErrors() {
        let inventory = Inventory()
        #expect(throws: InventoryError.noSuchProcess(999_999_999)) { try inventory.namespaces(ofProcess: 999_999_999) }
        #expect(throws: InventoryError.noSuchNamespace(.pid, 1)) { try inventory.detail(type: .pid, inode: 1) }
    }
}
