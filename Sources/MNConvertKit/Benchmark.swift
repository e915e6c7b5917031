import Dispatch
import Foundation
import InferenceCore
import MobileNetIR
import MobileNetV1
import TensorIO
import Verification

/// `mnconvert bench`: how fast the core runs a model, batch 1, at its declared resolution.
public enum Benchmark {
    public struct Result: Sendable, Encodable {
        public var medianMs: Double
        public var minMs: Double
        public var maxMs: Double
        public var runs: Int
        public var threads: Int
        public var multAdds: Int
        /// Two operations per mult-add, at the median time.
        public var gflops: Double
        /// The machine's measured FMA throughput on these threads, and the share the model reaches.
        public var peakGflops: Double
        public var percentOfPeak: Double

        enum CodingKeys: String, CodingKey {
            case medianMs = "median_ms", minMs = "min_ms", maxMs = "max_ms", runs, threads, multAdds = "mult_adds", gflops
            case peakGflops = "peak_gflops", percentOfPeak = "percent_of_peak"
        }

        /// The result as `bench --json` prints it.
        public func json() -> String { JSONText.report(self) }

        /// The result as `bench` prints it, for the model at `path`.
        public func text(model path: String) -> String {
            String(format: "%@: median %.3f ms (min %.3f, max %.3f) over %d runs on %d thread%@; %.1f GFLOP/s, %.0f%% of the measured %.1f GFLOP/s peak",
                   path, medianMs, minMs, maxMs, runs, threads, threads == 1 ? "" : "s", gflops, percentOfPeak, peakGflops)
        }
    }

    public static func run(_ path: String, threads: Int, runs: Int, warmup: Int, options: ImportOptions = .init()) throws(MNConvertError) -> Result {
        let graph = try ModelLoader.load(path, options: options).canonicalGraph
        let engine: Engine
        do { engine = try Engine(graph: graph, threads: threads) } catch { throw .input(path: path, message: error.description) }
        let runner = try runnerInputs(graph, path: path)
        var times: [Double] = []
        do {
            for index in 0..<(warmup + runs) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try engine.run(runner)
                if index >= warmup { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
        } catch { throw .input(path: path, message: error.description) }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let shapes = (try? engine.shapes(for: runner.mapValues(\.shape))) ?? [:]
        let multAdds = graph.nodes.reduce(0) { $0 + Self.multAdds(of: $1, in: graph, shapes: shapes) }
        let gflops = 2 * Double(multAdds) / (median / 1e3) / 1e9
        let peak = Self.peak(threads: engine.threads)
        return Result(medianMs: median, minMs: times.first ?? 0, maxMs: times.last ?? 0, runs: runs, threads: engine.threads,
                      multAdds: multAdds, gflops: gflops, peakGflops: peak, percentOfPeak: 100 * gflops / peak)
    }

    /// One seeded sample per input, batch 1, in the graph's own layout.
    static func runnerInputs(_ graph: Graph, path: String) throws(MNConvertError) -> [String: Tensor] {
        var random = RandomInputs(seed: 0)
        var feed: [String: Tensor] = [:]
        for input in graph.inputs {
            let shape = input.shape.enumerated().map { axis, d in axis == 0 ? 1 : (d ?? 224) }
            guard checkedElementCount(shape, limit: Comparison.sampleLimit) != nil else {
                throw .input(path: path, message: "input '\(input.name)' of shape \(shape) is too large to benchmark")
            }
            feed[input.name] = random.tensor(shape: shape)
        }
        return feed
    }
}

extension Benchmark {
    /// Each node's median time, with its mult-adds; a depthwise layer that the core runs fused
    /// with the pointwise layer after it shares one line with it (`dw + pw`, op `conv2d+conv2d`).
    public static func perLayer(_ path: String, threads: Int, runs: Int, options: ImportOptions = .init()) throws(MNConvertError) -> [(node: String, op: String, ms: Double, multAdds: Int)] {
        let graph = try ModelLoader.load(path, options: options).canonicalGraph
        let feed = try runnerInputs(graph, path: path)
        do {
            let engine = try Engine(graph: graph, threads: threads)
            let shapes = try engine.shapes(for: feed.mapValues(\.shape))
            return try engine.profile(feed, runs: runs).map { line in
                let nodes = line.nodes.map { graph.nodes[$0] }
                return (nodes.map(\.name).joined(separator: " + "), nodes.map(\.op.name).joined(separator: "+"), line.ms,
                        nodes.reduce(0) { $0 + Self.multAdds(of: $1, in: graph, shapes: shapes) })
            }
        } catch { throw .input(path: path, message: error.description) }
    }
}

extension Benchmark {
    /// The machine's measured FMA throughput on `threads` threads, in GFLOP/s.
    public static func peak(threads: Int) -> Double { PeakMeter.measure(threads: threads) }

    /// The threads the core uses when asked for `requested` (nil: all cores; never more).
    public static func threads(_ requested: Int?) -> Int { Engine.threadCount(requested) }

    /// A node's mult-adds at batch 1, counted as `info` counts them.
    static func multAdds(of node: Node, in graph: Graph, shapes: [String: [Int]]) -> Int {
        shapes[node.output].map { CostReport.multAdds(of: node, in: graph, outputShape: $0) } ?? 0
    }

}
