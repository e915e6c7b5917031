/// One node made ready to run: shapes resolved, constants it reads turned into whatever layout
/// its kernel wants. Built once per plan; `run` reads input buffers and writes its output buffer,
/// allocating nothing.
///
/// The reference kernels (`Kernels/Reference`) are the simple, obviously correct versions that
/// every test compares against; faster kernels implement the same protocol.
protocol PreparedKernel: Sendable {
    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>)
}
