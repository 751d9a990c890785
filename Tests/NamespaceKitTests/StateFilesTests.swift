import Foundation
import Glibc
import SystemPackage
import Testing
@testable import NamespaceKit

/// The checks the state directory applies to what it finds, on a temporary directory.
struct StateFilesTests {
    let me = geteuid()

    @Test func fileTrustAcceptsOnlyASingleLinkRegularFileOfTheServer() {
        let good = FileTrust(type: S_IFREG, permissions: 0o600, owner: me, links: 1)
        #expect(good.fileProblem(server: me) == nil)
        #expect(FileTrust(type: S_IFREG, permissions: 0o600, owner: me, links: 2).fileProblem(server: me) == "has 2 hard links")
        #expect(
            FileTrust(type: S_IFREG, permissions: 0o600, owner: me + 1, links: 1).fileProblem(server: me)
                == "is owned by uid \(me + 1), not \(me)")
        #expect(
            FileTrust(type: S_IFIFO, permissions: 0o600, owner: me, links: 1).fileProblem(server: me) == "is not a regular file")
        #expect(
            FileTrust(type: S_IFLNK, permissions: 0o777, owner: me, links: 1).fileProblem(server: me) == "is not a regular file")
    }

    @Test(
        arguments: [
            (mode_t(0o700), false, nil),
            (mode_t(0o755), false, nil),
            (mode_t(0o777), false, "is writable by group or others (mode 777)"),
            (mode_t(0o1777), false, "is writable by group or others (mode 1777)"),
            (mode_t(0o720), false, "is writable by group or others (mode 720)"),
            (mode_t(0o1777), true, nil),
            (mode_t(0o777), true, "is writable by group or others (mode 777)"),
        ] as [(mode_t, Bool, String?)])
    func directoryModes(mode: mode_t, isParent: Bool, problem: String?) {
        let facts = FileTrust(type: S_IFDIR, permissions: mode, owner: me, links: 2)
        #expect(facts.directoryProblem(server: me, isParent: isParent) == problem)
    }

    @Test func directoryOwners() {
        let other: uid_t = 4242
        #expect(
            FileTrust(type: S_IFDIR, permissions: 0o700, owner: other, links: 2).directoryProblem(server: 1000, isParent: false)
                == "is owned by uid 4242, not 1000")
        #expect(
            FileTrust(type: S_IFDIR, permissions: 0o755, owner: 0, links: 2).directoryProblem(server: 1000, isParent: true)
                == nil,
            "a root-owned parent (/var/lib, /tmp) is fine")
        #expect(
            FileTrust(type: S_IFDIR, permissions: 0o755, owner: other, links: 2).directoryProblem(server: 1000, isParent: true)
                == "is owned by uid 4242, not 1000 or root")
        #expect(
            FileTrust(type: S_IFREG, permissions: 0o700, owner: 1000, links: 1).directoryProblem(server: 1000, isParent: false)
                == "is not a directory")
    }

    /// A scratch directory with a file outside it that must never change.
    final class Scratch {
        let root = NSTemporaryDirectory() + "nsd-unit-\(getpid())-\(UUID().uuidString.prefix(8))"
        var inside: String { root + "/inside" }
        var outside: String { root + "/outside" }
        let secret = Data("outside\n".utf8)

        init() throws {
            try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
            try secret.write(to: URL(fileURLWithPath: outside))
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        var outsideUnchanged: Bool { FileManager.default.contents(atPath: outside) == secret }
    }

    @Test func openEmptyReplacesASymlinkAndAHardLinkInsteadOfWritingThroughThem() throws {
        let scratch = try Scratch()
        try FileManager.default.createSymbolicLink(atPath: scratch.inside + "/stdout", withDestinationPath: scratch.outside)
        try FileManager.default.linkItem(atPath: scratch.outside, toPath: scratch.inside + "/stderr")
        let directory = try Directory.open(scratch.inside)
        #expect(directory.openTrusted("stdout", O_RDONLY) == nil)
        #expect(directory.openTrusted("stderr", O_RDONLY) == nil)
        for name in ["stdout", "stderr"] {
            let file = try directory.openEmpty(name)
            _ = try file.writeAll(Array("mine\n".utf8))
            try file.close()
            var facts = stat()
            #expect(lstat(scratch.inside + "/" + name, &facts) == 0)
            #expect(facts.st_mode & S_IFMT == S_IFREG && facts.st_nlink == 1)
        }
        #expect(scratch.outsideUnchanged)
    }

    @Test func openEmptyTruncatesItsOwnFile() throws {
        let scratch = try Scratch()
        try Data("old output\n".utf8).write(to: URL(fileURLWithPath: scratch.inside + "/stdout"))
        let directory = try Directory.open(scratch.inside)
        let file = try directory.openEmpty("stdout")
        try file.close()
        #expect(FileManager.default.contents(atPath: scratch.inside + "/stdout") == Data())
    }

    @Test func aFIFOIsNeverOpenedAsALog() throws {
        let scratch = try Scratch()
        try #require(mkfifo(scratch.inside + "/stdout", 0o600) == 0)
        let directory = try Directory.open(scratch.inside)
        #expect(directory.openTrusted("stdout", O_WRONLY) == nil, "refused without blocking on the FIFO")
        let file = try directory.openEmpty("stdout")
        try file.close()
        var facts = stat()
        #expect(lstat(scratch.inside + "/stdout", &facts) == 0 && facts.st_mode & S_IFMT == S_IFREG)
    }

    @Test func removeTreeUnlinksLinksWithoutFollowingThem() throws {
        let scratch = try Scratch()
        let victim = scratch.root + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: victim + "/file"))
        try FileManager.default.createDirectory(atPath: scratch.inside + "/sub/deeper", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.inside + "/sub/deeper/to-dir", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: scratch.inside + "/to-file", withDestinationPath: scratch.outside)
        try FileManager.default.linkItem(atPath: scratch.outside, toPath: scratch.inside + "/hard")
        let parent = try Directory.open(scratch.root)
        parent.removeTree("inside")
        #expect(!FileManager.default.fileExists(atPath: scratch.inside))
        #expect(scratch.outsideUnchanged)
        #expect(FileManager.default.contents(atPath: victim + "/file") == Data("keep\n".utf8))
    }

    @Test func subdirectoryRefusesASymlink() throws {
        let scratch = try Scratch()
        try FileManager.default.createSymbolicLink(atPath: scratch.inside + "/elsewhere", withDestinationPath: scratch.root)
        let directory = try Directory.open(scratch.inside)
        #expect(throws: Errno.notDirectory, "O_DIRECTORY|O_NOFOLLOW on a symlink") { try directory.subdirectory("elsewhere") }
    }
}
