import Dispatch

/// A raw pointer that may cross into `concurrentPerform`'s closures: each task writes a disjoint
/// part of the buffer it points into, which is what makes sharing it safe.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

struct SendableConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
}

/// Runs `body(task)` for `tasks` tasks on up to `threads` threads; one task runs inline.
/// `concurrentPerform` costs about 0.5 µs a call, so callers give it work worth more than that.
@inline(__always)
func parallelFor(_ tasks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if tasks <= 1 || threads <= 1 {
        for task in 0..<tasks { body(task) }
    } else {
        DispatchQueue.concurrentPerform(iterations: tasks, execute: body)
    }
}
