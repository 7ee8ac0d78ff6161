"""Conversions between devices and dtypes: to, cpu, cuda, float, double, ..., type_as (differentiable)."""
from .. import _api, _dtype
from .. import _memory_format as _mf
from ..autograd.op_function import Function
from ..backend import backend_of, device as _device, get_backend
from ..tensor import parse_to_args
from . import _formula as m
from ._util import cast

declare = _api.declare


class ToDevice(Function):
    """A copy on another device (through host memory); the gradient goes back to the source device."""
    op_name = "to"
    opmath = False

    @staticmethod
    def forward(ctx, x, backend, index):
        ctx.source = source = backend_of(x)
        ctx.index = source.device_of(x).index
        return backend.from_host(source.to_host(x), index)

    @staticmethod
    def backward(ctx, g):
        if m.is_graph(g):                           # create_graph: the move back is a graph op too
            return to_device(g, _device(ctx.source.name, ctx.index)), None, None
        return ctx.source.from_host(backend_of(g).to_host(g), ctx.index), None, None


def to_device(x, device):
    dev = _device(device)
    be, src = get_backend(dev), backend_of(x._data)
    if be is src and (dev.index is None or src.device_of(x._data) == dev):
        return x
    if be.name != "cpu":
        _dtype.check_device(x._data.dtype, dev)
    return ToDevice.apply(x, be, dev.index)


@declare(top=False)
def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``; differentiable."""
    device, dtype = parse_to_args(args, device, dtype)
    out = self
    if device is not None:
        out = to_device(out, device)
    if dtype is not None:
        out = cast(out, dtype)
    if copy and out is self:
        out = self.clone()
    return out if memory_format in (None, _mf.preserve_format) else out.contiguous(memory_format)


@declare(top=False)
def cpu(self):
    return to(self, "cpu")


@declare(top=False)
def cuda(self, device=None, non_blocking=False):
    return to(self, "cuda" if device is None else f"cuda:{int(device)}" if not isinstance(device, str) else device)


@declare(top=False)
def type_as(self, other):
    return to(self, other.dtype)


def _dtype_method(name, dt):
    def method(self):
        return to(self, dt)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"This tensor as {dt.name}."
    return declare(method, top=False)


for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("bfloat16", _dtype.bfloat16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16), ("byte", _dtype.uint8),
                   ("bool", _dtype.bool_), ("char", _dtype.int8)):
    _dtype_method(_name, _dt)
