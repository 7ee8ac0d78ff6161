"""CuPy's kernel API on the CPU: runs autograd_lite's CUDA kernel table (kernels/cuda/table.py) and its CUDA C sources,
as written, on machines without a GPU.

`module()` is a stand-in `cupy` module: the arrays of tests/fake_cuda.py (NumPy arrays that refuse to mix with host
arrays), `ElementwiseKernel` with CuPy's calling rules (broadcasting, typed scalars, outputs allocated or given,
raw parameters) and `RawModule` row kernels. Every kernel of sources.py is compiled by g++ (one shared library per
float type, cached by the sources' hash) with tests/simt.h, which runs CUDA's threads, blocks, shared memory,
barriers and warp shuffles as std::threads. What it cannot tell: the GPU's rounding of exp/log, NVRTC's dialect,
launch limits and speed; the GPU check script covers those.
"""
import ctypes
import functools
import hashlib
import pathlib
import re
import shutil
import subprocess
import tempfile
import types

import numpy as np

import fake_cuda
from autograd_lite.kernels.cuda import sources

HEADER = pathlib.Path(__file__).with_name("simt.h")
_C_TYPES = {"T": "T", "int64": "long long", "int32": "int", "uint16": "unsigned short",
            "uint64": "unsigned long long", "bool": "bool"}
_NP_TYPES = {"int64": np.int64, "int32": np.int32, "uint16": np.uint16, "uint64": np.uint64, "bool": np.bool_}
_CTYPES = {"long long": ctypes.c_longlong, "int": ctypes.c_int, "double": ctypes.c_double, "float": ctypes.c_float,
           "unsigned": ctypes.c_uint}
Array = fake_cuda.FakeCudaArray


def available():
    """None when g++ with C++20 is here, else why not."""
    return None if shutil.which("g++") else "g++ not found"


def params(spec):
    """'T x, raw T b, int64 n' -> [(raw, type, name), ...]."""
    out = []
    for p in filter(None, (s.strip() for s in spec.split(","))):
        *raw, ty, name = p.split()
        out.append((bool(raw), ty, name))
    return out


def _elementwise_cpp(name):
    in_params, out_params, operation = sources.ELEMENTWISE[name]
    decls, binds = [], []
    for const, plist in (("const ", in_params), ("", out_params)):     # inputs read-only, as CuPy declares them
        for raw, ty, var in params(plist):
            c = const + _C_TYPES[ty]
            decls.append(f"{c}* {var}" if raw else f"{c}* {var}_p")
            if not raw:
                binds.append(f"{c}& {var} = {var}_p[i];")
    return (f'extern "C" void ew_{name}(long long size, {", ".join(decls)}) {{\n'
            f'  for (long long i = 0; i < size; ++i) {{ {" ".join(binds)} {operation}; }}\n}}\n')


_SIGNATURE = re.compile(r'extern "C" __global__ void (\w+)\(([^)]*)\)')


def row_signatures(rows=sources.ROWS):
    """{kernel: [(C type, is pointer), ...]} of the row kernels in `rows` (sources.ROWS)."""
    out = {}
    for name, plist in _SIGNATURE.findall(rows):
        sig = []
        for p in plist.split(","):
            words = p.replace("*", " * ").split()
            pointer = "*" in words
            ctype = " ".join(w for w in words[:-1] if w not in ("const", "*"))
            sig.append((ctype, pointer))
        out[name] = sig
    return out


def _rows_cpp(rows):
    wrappers = []
    for name, sig in row_signatures(rows).items():
        decls = [f"{c}{'*' if ptr else ''} a{i}" for i, (c, ptr) in enumerate(sig)]
        call = ", ".join(f"a{i}" for i in range(len(sig)))
        wrappers.append(f'extern "C" void run_{name}(unsigned grid, unsigned block, {", ".join(decls)}) {{\n'
                        f'  simt_launch(grid, block, [&] {{ {name}({call}); }});\n}}\n')
    return rows + "\n" + "".join(wrappers)


@functools.lru_cache(maxsize=None)
def library(ctype, rows=sources.ROWS):
    """The shared library of every kernel for float type `ctype` ('float' or 'double'), compiled once; `rows`: the
    row kernels' source (a test may pass a variant)."""
    code = f'#include "simt.h"\ntypedef {ctype} T;\n' + "".join(map(_elementwise_cpp, sources.ELEMENTWISE)) + \
        _rows_cpp(rows)
    digest = hashlib.sha256((code + HEADER.read_text()).encode()).hexdigest()[:16]
    folder = pathlib.Path(tempfile.gettempdir()) / "autograd_lite_simt"
    folder.mkdir(exist_ok=True)
    lib = folder / f"{ctype}-{digest}.so"
    if not lib.exists():
        src = folder / f"{ctype}-{digest}.cpp"
        src.write_text(code)
        tmp = folder / f"{ctype}-{digest}.{id(code)}.so"
        out = subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", f"-I{HEADER.parent}",
                              "-o", str(tmp), str(src)], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"g++ failed on the CUDA sources ({ctype}):\n{out.stderr[-4000:]}")
        tmp.replace(lib)
    return ctypes.CDLL(str(lib))


def _ctype_of(dtype):
    return "double" if np.dtype(dtype) == np.float64 else "float"


def _host(a):
    return a.view(np.ndarray)


def _pointer(a):
    return ctypes.c_void_p(_host(a).ctypes.data)


class ElementwiseKernel:
    """cupy.ElementwiseKernel(in_params, out_params, operation, name) for a kernel of sources.ELEMENTWISE."""

    def __init__(self, in_params, out_params, operation, name="kernel", **_):
        self.name = name[3:] if name.startswith("al_") else name
        if sources.ELEMENTWISE.get(self.name) != (in_params, out_params, operation):
            raise ValueError(f"the emulator runs the kernels of sources.ELEMENTWISE only, not {name!r}")
        self.ins, self.outs = params(in_params), params(out_params)
        for _, _, var in self.ins + self.outs:        # CuPy's rule: these names are its own
            if var in ("i", "n") or var.startswith("_"):
                raise ValueError(f"ElementwiseKernel {name!r}: the parameter name {var!r} is reserved by CuPy")

    def __call__(self, *args, size=None):
        specs = self.ins + self.outs
        if len(args) not in (len(self.ins), len(specs)):       # CuPy: the inputs, or the inputs and every output
            raise TypeError(f"Wrong number of arguments for {self.name}")
        for a in args:
            if type(a) is np.ndarray:
                raise TypeError(f"Unsupported type {type(a)}")
        t = next((a.dtype for (raw, ty, _), a in zip(specs, args) if ty == "T" and isinstance(a, Array)), None)
        shapes = [a.shape for (raw, _, _), a in zip(specs, args) if not raw and isinstance(a, Array)]
        shape = np.broadcast_shapes(*shapes) if shapes else (size,)
        n = int(np.prod(shape))
        pointers, results, writebacks, keep = [], [], [], []
        for k, (raw, ty, var) in enumerate(specs):
            dt = np.dtype(t if ty == "T" else _NP_TYPES[ty])
            a = args[k] if k < len(args) else None
            out = k >= len(self.ins)
            if raw:
                if not isinstance(a, Array) or a.dtype != dt or not a.flags.c_contiguous:
                    raise TypeError(f"{self.name}: raw {var} must be a C-contiguous {dt} array, got {a!r:.60}")
                arr = _host(a)
            elif a is None:                         # an output to allocate
                arr = np.empty(shape, dt)
                results.append(arr.view(Array))
            elif isinstance(a, Array):
                if a.dtype != dt:
                    raise TypeError(f"{self.name}: {var} must be {dt}, got {a.dtype}")
                if out:
                    if a.shape != shape:
                        raise ValueError(f"{self.name}: output {var} of shape {a.shape}, expected {shape}")
                    arr = _host(a) if a.flags.c_contiguous else np.ascontiguousarray(_host(a))
                    if arr is not _host(a):
                        writebacks.append((a, arr))
                    results.append(a)
                else:
                    arr = np.ascontiguousarray(np.broadcast_to(_host(a), shape))
            else:                                   # a scalar, converted to its parameter's type
                if out:
                    raise TypeError(f"{self.name}: output {var} must be an array")
                arr = np.full(shape, a, dt)
            keep.append(arr)
            pointers.append(ctypes.c_void_p(arr.ctypes.data))
        if n:
            getattr(library(_ctype_of(t or np.float32)), "ew_" + self.name)(ctypes.c_longlong(n), *pointers)
        for a, arr in writebacks:
            _host(a)[...] = arr
        return results[0] if len(results) == 1 else tuple(results)


class RawModule:
    """cupy.RawModule for sources.rows_source(ctype): get_function(name)((grid,), (block,), args)."""

    def __init__(self, code, options=(), **_):
        ctype = code.split("\n", 1)[0].split()[1].rstrip(";")
        if code != sources.rows_source(ctype):
            raise ValueError("the emulator runs sources.rows_source only")
        self.ctype = ctype

    def get_function(self, name):
        sig = row_signatures()[name]
        fn = getattr(library(self.ctype), "run_" + name)

        def launch(grid, block, args):
            if len(args) != len(sig):
                raise TypeError(f"{name}: {len(args)} arguments, the kernel takes {len(sig)}")
            values = []
            for (ctype, pointer), a in zip(sig, args):
                if pointer:
                    if not isinstance(a, Array) or not a.flags.c_contiguous:
                        raise TypeError(f"{name}: expected a C-contiguous device array, got {type(a).__name__}")
                    values.append(_pointer(a))
                else:
                    want = {"long long": np.int64, "int": np.int32, "double": np.float64, "float": np.float32}[ctype]
                    if type(a) is not want:      # CuPy passes numpy scalars by their own type: it must match
                        raise TypeError(f"{name}: argument of C type {ctype} given as {type(a).__name__}")
                    values.append(_CTYPES[ctype](a))
            (g,), (b,) = grid, block
            if b % 32 or not 32 <= b <= 1024 or g < 1:
                raise ValueError(f"{name}: bad launch configuration grid {grid}, block {block}")
            fn(ctypes.c_uint(g), ctypes.c_uint(b), *values)
        return launch


def module():
    """The stand-in `cupy` module."""
    cp = fake_cuda._ArrayModule()
    cp.ElementwiseKernel, cp.RawModule = ElementwiseKernel, RawModule
    cp.cuda = types.SimpleNamespace(Device=lambda index=None: types.SimpleNamespace(id=0),
                                    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    return cp


def kernel_table():
    """autograd_lite.kernels.cuda.table (a fresh copy) running on the stand-in `cupy`."""
    import importlib.util
    import sys
    spec = importlib.util.find_spec("autograd_lite.kernels.cuda.table")
    table = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("cupy")
    sys.modules["cupy"] = module()
    try:
        spec.loader.exec_module(table)
    finally:
        if saved is None:
            del sys.modules["cupy"]
        else:
            sys.modules["cupy"] = saved
    return table
