import Testing

@testable import NamespaceAPI

/// When event listeners are woken: a lone write at once, writes within the interval after a wake
/// together at its end, never a time already past.
struct WakeScheduleTests {
    static let ms: UInt64 = 1_000_000

    @Test func aLoneWriteWakesAtOnceAndABurstWaitsForTheIntervalsEnd() {
        var schedule = WakeSchedule()
        #expect(schedule.written(at: 100 * Self.ms, interval: 10 * Self.ms) == .now)
        #expect(schedule.written(at: 103 * Self.ms, interval: 10 * Self.ms) == .at(110 * Self.ms))
        // Arranged already: later writes ride along.
        #expect(schedule.written(at: 104 * Self.ms, interval: 10 * Self.ms) == .pending)
        #expect(schedule.written(at: 109 * Self.ms, interval: 10 * Self.ms) == .pending)
        schedule.woke(at: 110 * Self.ms)
        #expect(schedule.written(at: 115 * Self.ms, interval: 10 * Self.ms) == .at(120 * Self.ms))
        schedule.woke(at: 121 * Self.ms)
        // Quiet for longer than the interval: at once again.
        #expect(schedule.written(at: 140 * Self.ms, interval: 10 * Self.ms) == .now)
    }

    @Test func anArrangedWakeIsAlwaysLaterThanTheWriteThatArrangedIt() {
        for gap: UInt64 in [0, 1, 9_999_999] {
            var schedule = WakeSchedule()
            _ = schedule.written(at: 50 * Self.ms, interval: 10 * Self.ms)
            let now = 50 * Self.ms + gap
            guard case .at(let time) = schedule.written(at: now, interval: 10 * Self.ms) else {
                Issue.record("a write \(gap) ns after a wake was not put off")
                continue
            }
            #expect(time > now)
        }
    }

    @Test func theIntervalGrowsWithListenersBetweenOneAndTwentyFiveMilliseconds() {
        #expect(WakeSchedule.interval(listeners: 0) == 1 * Self.ms)
        #expect(WakeSchedule.interval(listeners: 1) == 1 * Self.ms)
        #expect(WakeSchedule.interval(listeners: 40) == 5 * Self.ms)
        #expect(WakeSchedule.interval(listeners: 200) == 25 * Self.ms)
        #expect(WakeSchedule.interval(listeners: 100_000) == 25 * Self.ms)
    }
}
