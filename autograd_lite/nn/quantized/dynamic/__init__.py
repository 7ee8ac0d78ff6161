"""autograd_lite.nn.quantized.dynamic: torch.ao.nn.quantized.dynamic: Linear with int8 weights whose input is
quantized on each call (the activations' range measured per call), output float."""
import numpy as np

from .... import _dtype
from .... import _quantized as _q
from ....tensor import Tensor
from .. import modules as _m

__all__ = ["Linear"]


class Linear(_m.Linear):
    """Dynamically quantized Linear, as PyTorch's (x86 / fbgemm engine): each call quantizes its float input to
    quint8 from the input's min and max (reduce_range: 7 bits, as PyTorch does for fbgemm), multiplies with the int8
    weight in integers and returns float32: ``float32(acc) * (x_scale * w_scale) + bias``.

    Example::

        >>> qmodel = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        >>> qmodel[0]
        DynamicQuantizedLinear(in_features=4, out_features=3, dtype=torch.qint8, qscheme=torch.per_tensor_affine)
    """
    reduce_range = True
    _version = 4                # PyTorch's: from version 4 its forward quantizes the input with reduce_range

    def _get_name(self):
        return "DynamicQuantizedLinear"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, dtype={self._packed_params.dtype}"
                f", qscheme={self.weight().qscheme()}")

    def forward(self, x):
        if not isinstance(x, Tensor) or isinstance(x, _q.QuantizedTensor) or x._data.dtype != np.float32:
            raise RuntimeError("quantized::linear_dynamic (fbgemm): Expected input data type to be float32")
        a = _m._host(x)
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        scale, zp = _q.choose_qparams(lo, hi, 0, 255, self.reduce_range)
        ints = _q._round_to(a, np.float32(1) / np.float32(scale), np.float32(zp), _dtype.quint8)
        return Tensor._make(_m.linear_int(ints, scale, zp, self.weight(), self.bias()))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The dynamic Linear of a float nn.Linear: its weight quantized with its qconfig's weight observer (else
        default_dynamic_qconfig's: qint8, per-tensor symmetric)."""
        qconfig = getattr(mod, "qconfig", None)
        if qconfig is not None and qconfig.weight is not None:
            wobs = qconfig.weight()
        else:
            from ....ao.quantization.qconfig import default_dynamic_qconfig
            wobs = default_dynamic_qconfig.weight()
        if wobs.dtype is not _dtype.qint8:
            raise RuntimeError(f"autograd_lite: dynamic quantized Linear supports dtype=qint8 only (got "
                               f"{wobs.dtype}); float16 dynamic quantization is not implemented")
        wobs(mod.weight)
        q = cls(mod.in_features, mod.out_features, dtype=_dtype.qint8)
        q.set_weight_bias(_m.quantize_weight(mod.weight, wobs), None if mod.bias is None else mod.bias.detach())
        return q
