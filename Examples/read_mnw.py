"""Reads an .mnw file (Formats/mnw.md) with numpy alone.

    python3 Examples/read_mnw.py model.mnw

Prints the graph's inputs, nodes and outputs, and checks every checksum. Import `read_mnw` to get
the header and the tensors as numpy arrays (mapped from the file, not copied).
"""
import json
import sys
import zlib

import numpy as np

MAGIC = b"\x89MNW\r\n\x1a\n"


def read_mnw(path):
    """Returns (header, {name: array}). Raises ValueError naming the check that failed."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if len(raw) < 32 or bytes(raw[:8]) != MAGIC:
        raise ValueError("not an .mnw file")
    major, _minor = np.frombuffer(raw[8:12], "<u2")
    header_length, header_crc, flags = np.frombuffer(raw[12:24], "<u4")
    (data_length,) = np.frombuffer(raw[24:32], "<u8")
    if major != 1 or flags != 0:
        raise ValueError(f"unsupported .mnw version {major} or flags {flags}")
    header_bytes = bytes(raw[32:32 + header_length])
    if len(header_bytes) != header_length or zlib.crc32(header_bytes) != header_crc:
        raise ValueError("header truncated or corrupt")
    header = json.loads(header_bytes)
    data_start = (32 + int(header_length) + 63) // 64 * 64
    if data_start + int(data_length) != len(raw):
        raise ValueError("file size does not match the header")
    tensors = {}
    for t in header["tensors"]:
        start = data_start + t["offset"]
        chunk = raw[start:start + t["length"]]
        if zlib.crc32(chunk) != t["crc32"]:
            raise ValueError(f"tensor {t['name']} is corrupt")
        tensors[t["name"]] = chunk.view("<f4").reshape(t["shape"])
    return header, tensors


def main():
    header, tensors = read_mnw(sys.argv[1])
    graph, metadata = header["graph"], header["metadata"]
    print(f"source: {metadata['source_format']} from {metadata['producer']}, users feed {metadata.get('source_input_layout')}")
    for i in graph["inputs"]:
        print(f"input  {i['name']} {i['shape']} {i.get('layout', '')}")
    for n in graph["nodes"]:
        weights = [f"{name}{list(tensors[name].shape)}" for name in n["inputs"] if name in tensors]
        print(f"{n['op']:<20} {n['name']:<48} {' '.join(weights)}")
    print(f"output {', '.join(graph['outputs'])}")
    print(f"{len(tensors)} tensors, {sum(t.size for t in tensors.values())} parameters, all checksums valid")


if __name__ == "__main__":
    main()
