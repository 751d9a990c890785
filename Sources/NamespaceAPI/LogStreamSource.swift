import HTTPServer
import NamespaceKit

/// A followed log as a streaming response body.
struct LogStreamSource: StreamSource {
    let follower: LogFollower

    func attach(_ waker: StreamWaker) {
        follower.onChange { waker.wake() }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamRead {
        switch follower.read(into: buffer) {
        case .bytes(let count): .data(count)
        case .nothingYet: .pending
        case .finished: .end
        }
    }

    func detach() {
        follower.close()
    }
}
