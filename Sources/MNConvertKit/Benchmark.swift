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
    /// `bench --per-layer`: where an inference's time goes, node by node, against each node's
    /// floor (its mult-adds at the machine's measured FMA peak).
    public struct LayerReport: Sendable, Encodable {
        public struct Layer: Sendable, Encodable {
            /// The node's name; a depthwise layer the core runs fused with the pointwise layer
            /// after it shares one line with it (`dw + pw`, op `conv2d+conv2d`).
            public var node: String
            public var op: String
            /// Median wall time over the runs.
            public var ms: Double
            public var multAdds: Int
            public var floorMs: Double
            public var gflops: Double
            public var percentOfPeak: Double

            enum CodingKeys: String, CodingKey {
                case node, op, ms, multAdds = "mult_adds", floorMs = "floor_ms", gflops, percentOfPeak = "percent_of_peak"
            }
        }

        public var layers: [Layer]
        public var runs: Int
        public var threads: Int
        public var peakGflops: Double
        public var totalMs: Double
        public var floorMs: Double

        enum CodingKeys: String, CodingKey {
            case layers, runs, threads, peakGflops = "peak_gflops", totalMs = "total_ms", floorMs = "floor_ms"
        }

        init(lines: [(node: String, op: String, ms: Double, multAdds: Int)], runs: Int, threads: Int, peak: Double) {
            func floor(_ multAdds: Int) -> Double { 2 * Double(multAdds) / (peak * 1e9) * 1e3 }
            layers = lines.map { line in
                let gflops = line.ms > 0 ? 2 * Double(line.multAdds) / (line.ms / 1e3) / 1e9 : 0
                return Layer(node: line.node, op: line.op, ms: line.ms, multAdds: line.multAdds, floorMs: floor(line.multAdds),
                             gflops: gflops, percentOfPeak: 100 * gflops / peak)
            }
            self.runs = runs
            self.threads = threads
            peakGflops = peak
            totalMs = lines.reduce(0) { $0 + $1.ms }
            floorMs = floor(lines.reduce(0) { $0 + $1.multAdds })
        }

        /// The report as `bench --per-layer --json` prints it.
        public func json() -> String { JSONText.report(self) }

        /// The report as `bench --per-layer` prints it: one line per node (the name's last 49
        /// characters), then the totals.
        public func text() -> String {
            var lines = ["node                                              op                ms  floor ms   GFLOP/s  % of peak"]
            for l in layers {
                lines.append(String(format: "%@ %@ %8.3f %9.3f %9.1f %9.0f%%", String(l.node.suffix(49)).padding(toLength: 49, withPad: " ", startingAt: 0),
                                    l.op.padding(toLength: 14, withPad: " ", startingAt: 0), l.ms, l.floorMs, l.gflops, l.percentOfPeak))
            }
            lines.append(String(format: "total %.3f ms, floor %.3f ms at the measured %.1f GFLOP/s peak, median of %d runs on %d thread%@",
                                totalMs, floorMs, peakGflops, runs, threads, threads == 1 ? "" : "s"))
            return lines.joined(separator: "\n")
        }
    }

    /// Each node's median time over `runs` runs (after one untimed run), with its mult-adds and floor.
    public static func perLayer(_ path: String, threads: Int, runs: Int, options: ImportOptions = .init()) throws(MNConvertError) -> LayerReport {
        let graph = try ModelLoader.load(path, options: options).canonicalGraph
        let feed = try runnerInputs(graph, path: path)
        do {
            let engine = try Engine(graph: graph, threads: threads)
            let shapes = try engine.shapes(for: feed.mapValues(\.shape))
            let lines = try engine.profile(feed, runs: runs).map { line in
                let nodes = line.nodes.map { graph.nodes[$0] }
                return (node: nodes.map(\.name).joined(separator: " + "), op: nodes.map(\.op.name).joined(separator: "+"), ms: line.ms,
                        multAdds: nodes.reduce(0) { $0 + Self.multAdds(of: $1, in: graph, shapes: shapes) })
            }
            return LayerReport(lines: lines, runs: runs, threads: engine.threads, peak: peak(threads: engine.threads))
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
