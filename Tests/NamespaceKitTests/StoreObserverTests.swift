import Foundation
import Synchronization
import Testing

@testable import NamespaceKit

/// The store reports a measurement per journal sync for as long as the server runs: the handler
/// must be reached the same way the millionth time as the first.
struct StoreObserverTests {
    @Test func everyMeasurementReachesTheHandlerThroughTheSameCallDepth() {
        let observer = StoreObserver()
        let depths = Mutex<[Int]>([])
        observer.observe { _ in
            // Frames between here and the thread's start: a chain of wrappers would show up as more.
            let frames = Thread.callStackSymbols.count
            depths.withLock { $0.append(frames) }
        }
        for round in 0..<200 { observer.record(.journalSync(seconds: Double(round))) }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 200)
        #expect(Set(seen).count == 1, "call depth went from \(seen.first ?? 0) to \(seen.last ?? 0)")
    }
}
