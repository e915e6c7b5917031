import Dispatch
import Foundation
import Synchronization

/// A raw pointer that may cross into parallel tasks: each task writes a disjoint part of the
/// buffer it points into, which is what makes sharing it safe.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

struct SendableConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
}

/// Runs `body(task)` for `tasks` tasks on up to `threads` threads (the caller's among them) and
/// returns when all are done; one task, or one thread, runs inline. The kernels split their work
/// with it; it is public so that the pool can be tested as callers use it.
@inline(__always)
public func parallelFor(_ tasks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if tasks <= 1 || threads <= 1 {
        for task in 0..<tasks { body(task) }
    } else {
        WorkerPool.shared.run(tasks, threads: threads, body)
    }
}

/// Runs `body` over `0..<count` split into one contiguous range per thread, on up to `threads`
/// threads, when each range gets at least `grain` items; otherwise inline over the whole range.
/// The element-wise kernels split their values with it: they stream memory, and one core alone
/// does not saturate it (an unfolded 1.0-224's 27 activations, 13 `Mul`/`Add` pairs and 4 `Pad`s
/// took 4-5 ms of its inference on one thread).
@inline(__always)
func parallelRanges(_ count: Int, threads: Int, grain: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = min(threads, count / max(grain, 1))
    guard parts > 1 else {
        body(0..<count)
        return
    }
    parallelFor(parts, threads: threads) { part in body((count * part / parts)..<(count * (part + 1) / parts)) }
}

/// Worker threads that spin between jobs. A network runs dozens of parallel layers a few
/// hundred microseconds each; waking a sleeping thread for each (what `concurrentPerform` does
/// once its workers have gone idle) costs tens of microseconds a layer. Workers spin for a few
/// milliseconds after a job, then sleep until the next one. One job runs at a time; a caller
/// that finds the pool busy (two engines on two threads) uses `concurrentPerform` instead.
///
/// A job is published in one atomic word, `claim`: generation, helpers wanted, task count and
/// the next task index, 16 bits each. Taking a task is a compare-and-swap on that word, so a
/// worker that arrives late for a finished job can never take a task of the next one.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps.
    static let spinNanoseconds: UInt64 = 5_000_000

    private let busy = Mutex(false)
    private let started = Mutex(0)
    private let claim = Atomic<UInt64>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// The generation after which idle workers sleep at once (`park`), without spinning.
    private let parkedAfter = Atomic<UInt64>(UInt64.max)
    private let wake = DispatchSemaphore(value: 0)
    /// The current job's body: written before the job is published, read only by a thread that
    /// has taken one of its tasks (so the caller is still waiting for it).
    private var body: (@Sendable (Int) -> Void)?

    private static func generation(_ word: UInt64) -> UInt64 { word >> 48 }
    private static func helpers(_ word: UInt64) -> Int { Int((word >> 32) & 0xFFFF) }
    private static func tasks(_ word: UInt64) -> Int { Int((word >> 16) & 0xFFFF) }
    private static func index(_ word: UInt64) -> Int { Int(word & 0xFFFF) }

    func run(_ tasks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let claimed = tasks < 0xFFFF && busy.withLock { taken in
            if taken { return false }
            taken = true
            return true
        }
        guard claimed else {
            DispatchQueue.concurrentPerform(iterations: tasks, execute: body)
            return
        }
        defer { busy.withLock { $0 = false } }
        let helpers = min(threads - 1, 0xFFFF)
        startWorkers(helpers)
        withoutActuallyEscaping(body) { body in
            self.body = body
            unfinished.store(tasks, ordering: .relaxed)
            let generation = (Self.generation(claim.load(ordering: .relaxed)) &+ 1) & 0xFFFF
            claim.store(generation << 48 | UInt64(helpers) << 32 | UInt64(tasks) << 16, ordering: .sequentiallyConsistent)
            for _ in 0..<sleepers.load(ordering: .sequentiallyConsistent) { wake.signal() }
            work(generation: generation)
            while unfinished.load(ordering: .acquiring) > 0 {}
            self.body = nil
        }
    }

    /// Takes and runs tasks of job `generation` until none are left.
    private func work(generation: UInt64) {
        while true {
            let word = claim.load(ordering: .acquiring)
            guard Self.generation(word) == generation, Self.index(word) < Self.tasks(word) else { return }
            if claim.compareExchange(expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing).exchanged {
                body!(Self.index(word))
                unfinished.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Lets idle workers sleep now rather than spin out their few milliseconds: for callers that
    /// run no more jobs soon and want the cores for other work (the threads of a checksum, say).
    /// The next job wakes them as usual. (Generations wrap at 16 bits: the job 65536 jobs on
    /// finds its workers sleeping early once, a matter of microseconds, never of correctness.)
    func park() {
        parkedAfter.store(Self.generation(claim.load(ordering: .acquiring)), ordering: .releasing)
    }

    /// Starts workers up to `count`, before the job that needs them is published: each starts
    /// from the generation before it, so it takes part in that job. (Reading the generation when
    /// its thread got going instead, a worker that started after the publication took the job for
    /// one it had seen: the first parallel job of a process, an engine's weight packing, then ran
    /// on one thread, 8-12 ms instead of 4-6 for 1.0-224.)
    private func startWorkers(_ count: Int) {
        started.withLock { running in
            let seen = Self.generation(claim.load(ordering: .acquiring))
            while running < count {
                let index = running
                let thread = Thread { [unowned self] in self.workerLoop(index: index, seen: seen) }
                thread.name = "mnconvert worker \(index + 1)"
                thread.start()
                running += 1
            }
        }
    }

    private func workerLoop(index: Int, seen first: UInt64) {
        var seen = first
        while true {
            var spinStart = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            var word = claim.load(ordering: .acquiring)
            while Self.generation(word) == seen {
                spins &+= 1
                if spins & 1023 == 0 && (DispatchTime.now().uptimeNanoseconds - spinStart > Self.spinNanoseconds
                                          || parkedAfter.load(ordering: .relaxed) == seen) {
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    if Self.generation(claim.load(ordering: .sequentiallyConsistent)) == seen { wake.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    spinStart = DispatchTime.now().uptimeNanoseconds
                }
                word = claim.load(ordering: .acquiring)
            }
            seen = Self.generation(word)
            if index < Self.helpers(word) { work(generation: seen) }
        }
    }
}
