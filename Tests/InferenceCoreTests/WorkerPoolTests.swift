import InferenceCore
import Dispatch
import Foundation
import Synchronization
import XCTest

/// The spinning worker pool under load: every task of every job runs exactly once, whether one
/// caller has the pool, two callers compete for it (one falls back to Dispatch), or a job has more
/// tasks than the packed claim word can count (the fallback for 65535 tasks and more).
final class WorkerPoolTests: XCTestCase {
    /// Per-task counters that tasks on any thread may bump.
    struct Counters: @unchecked Sendable {
        let base: UnsafeMutablePointer<Atomic<Int>>
    }

    /// Runs `tasks` tasks through `parallelFor` and returns how often each ran.
    static func runCounting(_ tasks: Int, threads: Int) -> [Int] {
        let counters = Counters(base: .allocate(capacity: tasks))
        for i in 0..<tasks { (counters.base + i).initialize(to: Atomic(0)) }
        defer {
            counters.base.deinitialize(count: tasks)
            counters.base.deallocate()
        }
        parallelFor(tasks, threads: threads) { task in
            counters.base[task].add(1, ordering: .relaxed)
        }
        return (0..<tasks).map { counters.base[$0].load(ordering: .relaxed) }
    }

    func testManyJobsRunEveryTaskOnce() {
        var state: UInt64 = 3
        for job in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let tasks = Int(state >> 33) % 300 + 1
            let counts = Self.runCounting(tasks, threads: 2)
            guard counts.allSatisfy({ $0 == 1 }) else {
                return XCTFail("job \(job) with \(tasks) tasks: task \(counts.firstIndex { $0 != 1 }!) ran \(counts.first { $0 != 1 }!) times")
            }
        }
    }

    /// Jobs with the workers asleep in between (longer than their spin): they must wake for each.
    func testJobsAfterTheWorkersSleep() {
        for round in 0..<3 {
            XCTAssertEqual(Self.runCounting(64, threads: 2), Array(repeating: 1, count: 64), "round \(round)")
            usleep(20_000)  // four times the workers' 5 ms spin
        }
    }

    /// Parked workers sleep at once and still wake for the next job, parked between jobs or
    /// while nothing runs, many times over.
    func testJobsAfterParking() {
        for round in 0..<500 {
            Engine.parkThreads()
            guard Self.runCounting(64, threads: 2) == Array(repeating: 1, count: 64) else { return XCTFail("round \(round)") }
            if round % 100 == 0 { usleep(1_000) }
        }
    }

    /// Workers started for a job take part in that job: five tasks that each wait until all five
    /// have started finish only on five threads at once. (A worker that came up after the job was
    /// published used to take it for one it had seen, and left the job to the threads before it.)
    /// Five threads, more than any other test asks for, so that this job starts new workers.
    func testNewWorkersJoinTheJobThatStartedThem() {
        let arrived = Atomic<Int>(0)
        let timedOut = Atomic<Int>(0)
        parallelFor(5, threads: 5) { _ in
            arrived.add(1, ordering: .sequentiallyConsistent)
            let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
            while arrived.load(ordering: .sequentiallyConsistent) < 5 {
                if DispatchTime.now().uptimeNanoseconds > deadline {
                    timedOut.add(1, ordering: .relaxed)
                    return
                }
                usleep(100)
            }
        }
        XCTAssertEqual(timedOut.load(ordering: .relaxed), 0, "the tasks never all ran at once: a new worker missed its first job")
    }

    func testTwoCallersAtOnce() {
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for job in 0..<1500 {
                let tasks = (job * 7 + caller * 13) % 200 + 2
                let counts = Self.runCounting(tasks, threads: 2)
                if !counts.allSatisfy({ $0 == 1 }) {
                    failures.withLock { $0.append("caller \(caller), job \(job), \(tasks) tasks: \(counts.filter { $0 != 1 }.count) wrong") }
                    return
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
    }

    func testMoreTasksThanTheClaimWordCounts() {
        let tasks = 0xFFFF + 4464
        XCTAssertEqual(Self.runCounting(tasks, threads: 2), Array(repeating: 1, count: tasks))
    }

    func testOneThreadOrOneTaskRunsInline() {
        let caller = pthread_self()
        let onCaller = Mutex(true)
        parallelFor(50, threads: 1) { _ in if pthread_equal(pthread_self(), caller) == 0 { onCaller.withLock { $0 = false } } }
        parallelFor(1, threads: 2) { _ in if pthread_equal(pthread_self(), caller) == 0 { onCaller.withLock { $0 = false } } }
        XCTAssertTrue(onCaller.withLock { $0 })
    }
}
