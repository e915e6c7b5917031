// swift-tools-version:6.0
import PackageDescription

/// Release builds of the inference core must use AVX2 and FMA on x86_64: without them Swift emits
/// SSE only and `addingProduct` becomes a call to `fmaf`. x86-64-v3 (Haswell, 2013, and later) is
/// the baseline that gives both. The flag is an unsafe flag, so a package that depends on these
/// libraries must do so by path or branch, not by version (see Docs/Performance.md).
/// Innermost loops start on a 64-byte boundary: the GEMM's loop measured 8 % slower when a change
/// elsewhere left it 32-byte aligned, with the same instructions.
#if arch(x86_64)
let vectorISA: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3", "-Xllvm", "--x86-experimental-pref-innermost-loop-alignment=6"])]
#else
let vectorISA: [SwiftSetting] = []
#endif

/// The command links the Swift runtime and Foundation statically on Linux: loading and binding
/// their shared libraries took about half of the 17 ms `mnconvert --help` took, on every call
/// (conversion of 1.0-224 without verification: 0.082-0.086 -> 0.076-0.079 s in alternating
/// runs; peak memory 70 -> 65 MB). `-static-stdlib` alone leaves out the libraries the static
/// Foundation itself needs, so they are named.
#if os(Linux)
let staticRuntime: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"])] + ["CoreFoundation", "_FoundationCollections", "_FoundationCShims", "_FoundationICU"].map { .linkedLibrary($0) }
#else
let staticRuntime: [LinkerSetting] = []
#endif

let package = Package(
    name: "mnconvert",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mnconvert", targets: ["mnconvert"]),
        .library(name: "MNConvertKit", targets: ["MNConvertKit"]),
        .library(name: "MobileNetIR", targets: ["MobileNetIR"]),
        .library(name: "InferenceCore", targets: ["InferenceCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // C shims: the only place C types live.
        .target(
            name: "CProtobufFormats",
            exclude: ["README.md"],
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "CHDF5"),
        .target(name: "HDF5", dependencies: ["CHDF5"]),

        // The canonical IR.
        .target(name: "MobileNetIR"),

        // Importers, passes, the native format and the runtime: each sees only the IR below it.
        .target(name: "ONNXImport", dependencies: ["MobileNetIR", "CProtobufFormats"]),
        .target(name: "TensorFlowImport", dependencies: ["MobileNetIR", "CProtobufFormats"]),
        .target(name: "KerasImport", dependencies: ["MobileNetIR", "HDF5", "ZIPFoundation"]),
        .target(name: "MNWFormat", dependencies: ["MobileNetIR"]),
        .target(name: "GraphPasses", dependencies: ["MobileNetIR"]),
        .target(name: "InferenceCore", dependencies: ["MobileNetIR"], swiftSettings: vectorISA),
        .target(name: "MobileNetV1", dependencies: ["MobileNetIR"]),

        // Comparison of outputs, then the use cases the CLI calls, then the CLI.
        .target(name: "Verification", dependencies: ["MobileNetIR", "InferenceCore"]),
        .target(
            name: "MNConvertKit",
            dependencies: ["MobileNetIR", "ONNXImport", "TensorFlowImport", "KerasImport", "MNWFormat", "GraphPasses", "InferenceCore", "MobileNetV1", "Verification"]
        ),
        .executableTarget(
            name: "mnconvert",
            dependencies: ["MNConvertKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: staticRuntime
        ),

        // Tests mirror the targets; TestSupport loads fixtures and compares tensors.
        .target(name: "TestSupport", dependencies: ["MobileNetIR", "MNConvertKit"], path: "Tests/TestSupport"),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "ONNXImportTests", dependencies: ["ONNXImport", "InferenceCore", "TestSupport"]),
        .testTarget(name: "TensorFlowImportTests", dependencies: ["TensorFlowImport", "InferenceCore", "TestSupport"]),
        .testTarget(name: "KerasImportTests", dependencies: ["KerasImport", "InferenceCore", "TestSupport"]),
        .testTarget(name: "MobileNetV1Tests", dependencies: ["MobileNetV1", "GraphPasses", "ONNXImport", "TestSupport"]),
        .testTarget(name: "GraphPassesTests", dependencies: ["GraphPasses", "InferenceCore", "TestSupport"]),
        .testTarget(name: "InferenceCoreTests", dependencies: ["InferenceCore", "TestSupport"]),
        .testTarget(name: "MNWFormatTests", dependencies: ["MNWFormat", "TestSupport"]),
        .testTarget(name: "MNConvertKitTests", dependencies: ["MNConvertKit", "MNWFormat", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "MNConvertKit", "MobileNetIR"]),
    ]
)
