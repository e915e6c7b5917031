"""Checks the hot loops of a release binary's kernels in its disassembly (`objdump -d`).

    objdump -d --no-show-raw-insn BINARY | python3 Scripts/check-isa.py

For each kernel function it finds the innermost loops that do the arithmetic (a backward jump's
range that holds packed FMAs and no other backward jump) and fails when any of them calls a
function (an `fmaf`, a `loadUnaligned` left out of line) or moves a vector register to or from the
stack (accumulators spilled): what made a `swift test` build of the GEMM 3.7 times slower with the
same FMA count. It also fails when the GEMM has no packed ymm FMA, or the reference convolution
(the oracle, compiled with the same flags) no ymm or FMA instruction: a build without AVX2 + FMA.
"""
import re
import sys

# Kernel functions by their mangled Swift names: the GEMM (its tiles also run the stem), the
# depthwise strips, and the reference convolution (the oracle, compiled with the same flags).
KERNELS = {
    "FastGEMM": re.compile(r"InferenceCore8FastGEMM"),
    "FastDepthwiseConv": re.compile(r"InferenceCore17FastDepthwiseConv"),
    "ReferenceConv2D": re.compile(r"InferenceCore15ReferenceConv2D"),
}
FUNCTION = re.compile(r"^([0-9a-f]+) <(.*)>:$")
INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
JUMP = re.compile(r"^j[a-z]*$")
FMA = re.compile(r"^vfn?m(add|sub)\d+ps$")
ANY_FMA = re.compile(r"^vfn?m(add|sub)\d+[ps]s$")
STACK = re.compile(r"\((%rsp|%rbp)[,)]")


def functions(lines):
    name, body = None, []
    for line in lines:
        header = FUNCTION.match(line)
        if header:
            if name:
                yield name, body
            name, body = header.group(2), []
            continue
        instruction = INSTRUCTION.match(line)
        if name and instruction:
            body.append((int(instruction.group(1), 16), instruction.group(2), instruction.group(3)))
    if name:
        yield name, body


def hot_loops(body):
    """(start, end) address ranges of the innermost loops that hold packed FMAs."""
    loops = []
    for address, mnemonic, operands in body:
        if JUMP.match(mnemonic):
            target = re.match(r"([0-9a-f]+)\s", operands + " ")
            if target and int(target.group(1), 16) <= address:
                loops.append((int(target.group(1), 16), address))
    inner = [l for l in loops if not any(o != l and l[0] <= o[0] and o[1] <= l[1] for o in loops)]
    return [l for l in inner if any(l[0] <= a <= l[1] and FMA.match(m) for a, m, _ in body)]


def main():
    totals = {kernel: {"functions": 0, "ymm": 0, "any_fma": 0, "ymm_fma": 0, "loops": 0, "fma": 0, "calls": 0, "spills": 0} for kernel in KERNELS}
    problems = []
    for name, body in functions(sys.stdin):
        kernel = next((k for k, pattern in KERNELS.items() if pattern.search(name)), None)
        if kernel is None:
            continue
        t = totals[kernel]
        t["functions"] += 1
        t["ymm"] += sum(1 for _, _, o in body if "ymm" in o)
        t["any_fma"] += sum(1 for _, m, _ in body if ANY_FMA.match(m))
        t["ymm_fma"] += sum(1 for _, m, o in body if FMA.match(m) and "ymm" in o)
        loops = hot_loops(body)
        t["loops"] += len(loops)
        # Loops can overlap without nesting: each instruction counts once.
        looped = [(a, m, o) for a, m, o in body if any(start <= a <= end for start, end in loops)]
        t["fma"] += sum(1 for _, m, _ in looped if FMA.match(m))
        for address, mnemonic, operands in looped:
            spill = mnemonic.startswith("vmov") and ("ymm" in operands or "xmm" in operands) and STACK.search(operands)
            if mnemonic.startswith("call") or spill:
                t["calls" if mnemonic.startswith("call") else "spills"] += 1
                problems.append(f"{kernel}: {mnemonic} {operands} at {address:x} in a hot loop of {name[:90]}")
    failed = bool(problems)
    for kernel, t in totals.items():
        print(f"check-isa: {kernel}: {t['functions']} functions, {t['ymm']} ymm instructions, {t['ymm_fma']} packed ymm FMAs, "
              f"{t['any_fma']} FMAs in all; {t['loops']} hot loops "
              f"({t['fma']} FMAs) with {t['calls']} calls and {t['spills']} vector spills")
    gemm, reference = totals["FastGEMM"], totals["ReferenceConv2D"]
    if gemm["ymm_fma"] == 0 or reference["ymm"] == 0 or reference["any_fma"] == 0:
        problems.append("the GEMM has no packed ymm FMA or the reference convolution no ymm and FMA instructions: "
                        "the release build does not use AVX2 + FMA (see the unsafeFlags in Package.swift)")
        failed = True
    if totals["FastGEMM"]["loops"] == 0 or totals["FastDepthwiseConv"]["loops"] == 0:
        problems.append("no hot loop found in FastGEMM or FastDepthwiseConv: the check no longer recognises the kernels")
        failed = True
    for problem in problems[:20]:
        print("check-isa: " + problem, file=sys.stderr)
    if len(problems) > 20:
        print(f"check-isa: ... and {len(problems) - 20} more", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
