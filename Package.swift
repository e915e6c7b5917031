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

/// Linux only, for now: the HDF5 shim includes Debian's header path and the runtime uses
/// `Synchronization` (macOS 15). Built and tested on Debian 12 with Swift 6.
let package = Package(
    name: "mnconvert",
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
        // C shims: the only place C types are declared.
        .target(
            name: "CProtobufFormats",
            exclude: ["README.md"],
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "CHDF5"),
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("turbojpeg"), .linkedLibrary("png")]),

        // The canonical IR.
        .target(name: "MobileNetIR"),

        // The Swift faces of the C libraries, then tensors and files on disk.
        .target(name: "ProtobufFormats", dependencies: ["CProtobufFormats", "MobileNetIR"]),
        .target(name: "HDF5", dependencies: ["CHDF5", "MobileNetIR"]),
        .target(name: "TensorIO", dependencies: ["MobileNetIR", "ProtobufFormats", "CImageCodecs"]),
        .target(name: "FlatBuffers"),

        // Importers, passes, the native format, the runtime and the MobileNetV1 view: each sees
        // only the modules above it.
        .target(name: "ONNXImport", dependencies: ["MobileNetIR", "CProtobufFormats", "ProtobufFormats", "TensorIO"]),
        .target(name: "TensorFlowImport", dependencies: ["MobileNetIR", "CProtobufFormats", "ProtobufFormats", "TensorIO"]),
        .target(name: "KerasImport", dependencies: ["MobileNetIR", "HDF5", "ZIPFoundation"]),
        .target(name: "TFLiteImport", dependencies: ["MobileNetIR", "FlatBuffers"]),
        .target(name: "MNWFormat", dependencies: ["MobileNetIR", "TensorIO"]),
        .target(name: "ONNXExport", dependencies: ["MobileNetIR", "CProtobufFormats"]),
        .target(name: "TFLiteExport", dependencies: ["MobileNetIR", "FlatBuffers"]),
        .target(name: "GraphPasses", dependencies: ["MobileNetIR"]),
        .target(name: "InferenceCore", dependencies: ["MobileNetIR"], swiftSettings: vectorISA),
        .target(name: "MobileNetV1", dependencies: ["MobileNetIR", "TensorIO"]),

        // Comparison of outputs, then the use cases the CLI calls, then the CLI.
        .target(name: "Verification", dependencies: ["MobileNetIR", "InferenceCore", "TensorIO"]),
        .target(
            name: "MNConvertKit",
            dependencies: ["MobileNetIR", "TensorIO", "ONNXImport", "TensorFlowImport", "KerasImport", "TFLiteImport", "MNWFormat", "ONNXExport", "TFLiteExport", "GraphPasses",
                           "InferenceCore", "MobileNetV1", "Verification"]
        ),
        .executableTarget(
            name: "mnconvert",
            dependencies: ["MNConvertKit", "MobileNetIR", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: staticRuntime
        ),

        // Tests mirror the targets, each depending on what it imports; TestSupport loads fixtures
        // and compares tensors.
        .target(name: "TestSupport", dependencies: ["MobileNetIR", "TensorIO"], path: "Tests/TestSupport"),
        .testTarget(name: "MobileNetIRTests", dependencies: ["MobileNetIR", "TestSupport"]),
        .testTarget(name: "FlatBuffersTests", dependencies: ["FlatBuffers", "TestSupport"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "ProtobufFormats", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "ONNXImportTests", dependencies: ["ONNXImport", "InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "TensorFlowImportTests", dependencies: ["TensorFlowImport", "InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "TFLiteImportTests", dependencies: ["TFLiteImport", "FlatBuffers", "InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "KerasImportTests", dependencies: ["KerasImport", "InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "MobileNetV1Tests", dependencies: ["MobileNetV1", "GraphPasses", "ONNXImport", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "GraphPassesTests", dependencies: ["GraphPasses", "InferenceCore", "ONNXImport", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "InferenceCoreTests", dependencies: ["InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "MNWFormatTests", dependencies: ["MNWFormat", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "ONNXExportTests", dependencies: ["ONNXExport", "ONNXImport", "GraphPasses", "InferenceCore", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification", "MobileNetIR", "TestSupport"]),
        .testTarget(name: "MNConvertKitTests", dependencies: ["MNConvertKit", "MNWFormat", "MobileNetIR", "TensorIO", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["MobileNetIR", "TensorIO", "TestSupport"]),
    ]
)
