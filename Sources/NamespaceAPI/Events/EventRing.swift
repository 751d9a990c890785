/// The last `capacity` frames, oldest first, for listeners that resume after an id.
struct EventRing: Sendable {
    private var frames: [EventFrame] = []
    private var start = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        frames.reserveCapacity(self.capacity)
    }

    mutating func append(_ frame: EventFrame) {
        if frames.count < capacity {
            frames.append(frame)
        } else {
            frames[start] = frame
            start = (start + 1) % capacity
        }
    }

    var oldestID: UInt64? { frames.isEmpty ? nil : frames[start].id }

    /// Frames with an id above `id`, in order.
    func after(_ id: UInt64) -> [EventFrame] {
        guard let oldest = oldestID else { return [] }
        // Ids are consecutive inside the ring, so the first wanted frame's position is arithmetic.
        let skip = id >= oldest ? Int(min(UInt64(frames.count), id - oldest + 1)) : 0
        return (skip..<frames.count).map { frames[(start + $0) % frames.count] }
    }
}
