import Testing
@testable import NamespaceKit

/// The kernel writes a mount point's space, tab, newline and backslash as `\` and three octal
/// digits (fs/proc_namespace.c, mangle()); everything else is verbatim.
struct NsfsUnescapeTests {
    @Test func decodesTheFourEscapedBytes() {
        #expect(NsfsMounts.unescape(#"/run/netns/a\040b"#) == "/run/netns/a b")
        #expect(NsfsMounts.unescape(#"/a\011b"#) == "/a\tb")
        #expect(NsfsMounts.unescape(#"/a\012b"#) == "/a\nb")
        #expect(NsfsMounts.unescape(#"/a\134b"#) == #"/a\b"#)
        #expect(NsfsMounts.unescape(#"\040\040"#) == "  ")
        #expect(NsfsMounts.unescape(#"/end\040"#) == "/end ")
    }

    @Test func leavesEverythingElseAlone() {
        #expect(NsfsMounts.unescape("/plain/path") == "/plain/path")
        #expect(NsfsMounts.unescape("/ünïcode/路径") == "/ünïcode/路径")
        #expect(NsfsMounts.unescape(#"/short\04"#) == #"/short\04"#)
        #expect(NsfsMounts.unescape(#"/lone\"#) == #"/lone\"#)
        #expect(NsfsMounts.unescape(#"/not\abc"#) == #"/not\abc"#)
        #expect(NsfsMounts.unescape(#"/nine\089"#) == #"/nine\089"#)
        // Three octal digits above 255 are not a byte.
        #expect(NsfsMounts.unescape(#"/big\777"#) == #"/big\777"#)
    }

    @Test func anEscapedBackslashIsNotReadAgain() {
        // `\134` decodes to a backslash; the digits after it are not a second escape.
        #expect(NsfsMounts.unescape(#"/a\134040"#) == #"/a\040"#)
    }

    @Test func mountPointsInParsedLinesAreUnescaped() {
        let line = #"700 25 0:4 net:[4026532999] /run/netns/with\040space\012and\134more rw - nsfs nsfs rw"#
        #expect(
            NsfsMounts.parse(line) == [
                NsfsMount(type: .net, inode: 4_026_532_999, mountPoint: "/run/netns/with space\nand\\more")
            ])
    }
}
