"""The CUDA kernels: `sources` (the CUDA C of every kernel, plain strings: importable without CuPy) and `table` (the
kernel table on CuPy, with the CPU table's names; imported by the CUDA backend on first use)."""
