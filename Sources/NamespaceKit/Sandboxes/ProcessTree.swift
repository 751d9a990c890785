#if canImport(Glibc)
import Glibc
#endif

enum ProcessTree {
    /// Every descendant of `pid`, children before grandchildren, from /proc/PID/task/TID/children.
    static func descendants(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast() {
            guard let tasks = opendir("/proc/\(next)/task") else { continue }
            var children: [Int32] = []
            while let entry = readdir(tasks) {
                guard let tid = ProcFS.numericName(entry),
                    let bytes = ProcFS.read("/proc/\(next)/task/\(tid)/children")
                else { continue }
                children += bytes.split(separator: UInt8(ascii: " ")).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
            }
            closedir(tasks)
            result += children
            queue += children
        }
        return result
    }
}
