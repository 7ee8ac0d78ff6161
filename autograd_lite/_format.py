"""Tensor printing in PyTorch's format: precision 4, shared column width, 80-column lines,
scientific notation for wide ranges, '...' summaries past 1000 elements; ``set_printoptions`` changes them."""
import math

import numpy as np

from . import _dtype

PRECISION, LINEWIDTH, THRESHOLD, EDGEITEMS = 4, 80, 1000, 3
SCI_MODE = None         # None: scientific notation when the range asks for it; True / False: always / never
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """How tensors print, as ``torch.set_printoptions``: digits after the point, the element count past which
    only `edgeitems` per edge show, the line width, a profile ('default', 'short', 'full') and sci_mode (None:
    automatic).

    Example: ``torch.set_printoptions(precision=2, sci_mode=False)``"""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Invalid profile: {profile}. the profile must be one of {list(_PROFILES)}")
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        PRECISION = int(precision)
    if threshold is not None:
        THRESHOLD = threshold
    if edgeitems is not None:
        EDGEITEMS = int(edgeitems)
    if linewidth is not None:
        LINEWIDTH = int(linewidth)
    SCI_MODE = sci_mode


def get_printoptions():
    """The current print options, as a dict of set_printoptions' arguments."""
    return {"precision": PRECISION, "threshold": THRESHOLD, "edgeitems": EDGEITEMS, "linewidth": LINEWIDTH,
            "sci_mode": SCI_MODE}
_LONGER = len("autograd_lite") - len("torch")    # "dtype=autograd_lite.float64" takes the room of "dtype=torch.float64"


class _Formatter:
    def __init__(self, values, floating):
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        if not floating:
            for v in values.reshape(-1).tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size == 0:
            return
        a = np.abs(finite)
        lo, hi = a.min(), a.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if SCI_MODE is None else bool(SCI_MODE)
        if self.sci_mode:
            fmt = lambda v: f"{v:.{PRECISION}e}"  # noqa: E731
        elif self.int_mode:
            fmt = lambda v: f"{v:.0f}" + " "  # noqa: E731  (room for the trailing '.')
        else:
            fmt = lambda v: f"{v:.{PRECISION}f}"  # noqa: E731
        self.width = max(len(fmt(v)) for v in finite.tolist())

    def format(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{PRECISION}f}"
        return " " * (self.width - len(s)) + s


class _ComplexFormatter:
    """PyTorch's complex format: the real parts and the imaginary parts each with a formatter of their own,
    joined as ``1.5000+2.0000j`` (``3.-1.j``)."""

    def __init__(self, values):
        self.real, self.imag = _Formatter(values.real, True), _Formatter(values.imag, True)
        self.width = self.real.width + self.imag.width + 1       # what a vector's line breaks count per element

    def format(self, v):
        imag = (self.imag.format(v.imag) + "j").lstrip()
        return self.real.format(v.real) + (imag if imag[0] in "+-" else "+" + imag)


def _summarized(a):
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.stack([_summarized(r) for r in a]) if a.ndim > 1 else a


def _vector(a, indent, summarize, f):
    per_line = max(1, math.floor((LINEWIDTH - indent) / (f.width + 2)))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = [f.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."] + \
            [f.format(v) for v in a[-EDGEITEMS:].tolist()]
    else:
        items = [f.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, f):
    if a.ndim == 0:
        return f.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, f)
    rows = range(a.shape[0])
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        parts = [_nested(a[i], indent + 1, summarize, f) for i in rows[:EDGEITEMS]] + ["..."] + \
            [_nested(a[i], indent + 1, summarize, f) for i in rows[-EDGEITEMS:]]
    else:
        parts = [_nested(a[i], indent + 1, summarize, f) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def array_str(a, indent):
    if a.size == 0:
        return "[]"
    summarize = a.size > THRESHOLD
    floating = a.dtype.kind == "f"
    values = _summarized(a) if summarize else a
    f = _ComplexFormatter(values) if a.dtype.kind == "c" else _Formatter(values, floating)
    return _nested(a, indent, summarize, f)


def tensor_repr(t, prefix="tensor("):
    a = t._data if type(t._data) is np.ndarray else t._data.get()    # CuPy arrays: copy to host
    if a.dtype.kind == "V" or a.dtype.itemsize == 1 and a.dtype.kind == "f":     # bfloat16, float8: exact as
        # float32, printed with its digits, as PyTorch prints them
        a = a.astype(np.float32)
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = t.dtype in (_dtype.get_default_dtype(), _dtype.get_default_dtype().to_complex(), _dtype.int64,
                          _dtype.bool_)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if t.dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if not default:
            suffixes.append(f"dtype={t.dtype!r}")
        body = array_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return with_suffixes(prefix + body, suffixes, indent)


def with_suffixes(out, suffixes, indent, force_newline=False):
    """``out`` (a repr up to its values) then ", suffix" each and ")", a suffix on a new line indented by `indent`
    where PyTorch's repr breaks (each "autograd_lite." counted as the shorter "torch."; force_newline: the first
    suffix on a line of its own)."""
    last = len(out) - out.rfind("\n") + 1        # torch's count (2 more than the last line's length)
    for s in suffixes:
        n = len(s) - _LONGER * s.count("autograd_lite.")
        if force_newline or last + n + 2 > LINEWIDTH:
            out += ",\n" + " " * indent + s
            last, force_newline = indent + n, False
        else:
            out += ", " + s
            last += n + 2
    return out + ")"
