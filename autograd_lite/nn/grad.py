"""``torch.nn.grad``: a convolution's gradient for its input or its weight, computed without its forward. Each is
made of the convolution's own differentiable Functions (ops/conv.py: ConvTranspose for the input, ConvWeight for
the weight; conv3d's through its depth-stacked conv2d), so its result has gradients of every order."""
from ..ops.conv import ConvWeight, _as_2d, _conv_checks, _float_kernels, _spatial, conv_transpose1d, conv_transpose2d
from ..ops.conv3d import _unfold, conv_transpose3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _batched(nd, size, weight_size):
    """torch's check: these take batched input only."""
    if len(size) != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional input for {nd + 2}-dimensional weight {list(weight_size)}, "
                           f"but got {len(size)}-dimensional input of size {list(size)} instead")


def _input(nd, input_size, weight, grad_output, stride, padding, dilation, groups):
    """conv_transpose{nd}d of grad_output with the output_padding that gives back input_size's spatial size."""
    _batched(nd, tuple(input_size), weight.shape)
    stride, padding, dilation = (_spatial(n, v, nd) for n, v in (("stride", stride), ("padding", padding),
                                                                 ("dilation", dilation)))
    size, out, k = tuple(input_size)[-nd:], grad_output.shape[-nd:], weight.shape[2:]
    extra = tuple(i - ((o - 1) * s - 2 * p + d * (kk - 1) + 1)
                  for i, o, s, p, d, kk in zip(size, out, stride, padding, dilation, k))
    if any(e < 0 or e >= s for e, s in zip(extra, stride)):
        raise RuntimeError(f"conv{nd}d_input: grad_output of size {list(grad_output.shape)} cannot come from an "
                           f"input of size {list(input_size)} with weight of size {list(weight.shape)}, stride "
                           f"{list(stride)}, padding {list(padding)} and dilation {list(dilation)}")
    fn = (conv_transpose1d, conv_transpose2d, conv_transpose3d)[nd - 1]
    return fn(grad_output, weight, None, stride, padding, extra, groups, dilation)


def _weight(nd, input, weight_size, grad_output, stride, padding, dilation, groups):
    """The weight's gradient by ConvWeight on the (stacked, for 3-d) conv2d the convolution runs."""
    _batched(nd, input.shape, weight_size)
    w = input.new_zeros(tuple(weight_size))             # (the checks read the weight's shape and dtype)
    op = f"conv{nd}d"
    x, _, stride, lo, _, dilation, out = _conv_checks(op, nd, input, w, None, stride, padding, dilation,
                                                             groups)
    g = grad_output
    if tuple(g.shape) != (x.shape[0], w.shape[0]) + out:
        raise RuntimeError(f"{op}_weight: expected grad_output of size {[x.shape[0], w.shape[0], *out]}, but got "
                           f"{list(grad_output.shape)}")
    if nd == 3:
        n, o, kd = x.shape[0], w.shape[0], w.shape[2]
        cols = _unfold(x, (groups, kd, stride[0], lo[0], dilation[0], out[0]))
        g2 = g.permute(0, 2, 1, 3, 4).reshape(n * out[0], o, *out[1:])
        p = (stride[1:], lo[1:], dilation[1:], groups)
        gw = _float_kernels(lambda c, gg, _: ConvWeight.apply(c, gg, p, tuple(w.shape[3:])), cols, g2, None)
        return gw.reshape(o, kd, w.shape[1], *w.shape[3:]).permute(0, 2, 1, 3, 4)
    if nd == 1:
        x, g = x.unsqueeze(2), g.unsqueeze(2)
    stride, lo, dilation = _as_2d(nd, (stride, 1), (lo, 0), (dilation, 1))
    k = tuple(w.shape[2:]) if nd == 2 else (1,) + tuple(w.shape[2:])
    gw = _float_kernels(lambda xx, gg, _: ConvWeight.apply(xx, gg, (stride, lo, dilation, groups), k), x, g, None)
    return gw.squeeze(2) if nd == 1 else gw


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d for its input (of size input_size), as ``torch.nn.grad.conv1d_input``.

    Example: ``torch.nn.grad.conv1d_input((2, 3, 10), w, torch.ones(2, 4, 8))`` with w of shape (4, 3, 3)."""
    return _input(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d for its weight (of size weight_size), as ``torch.nn.grad.conv1d_weight``.

    Example: ``torch.nn.grad.conv1d_weight(x, (4, 3, 3), torch.ones(2, 4, 8))`` with x of shape (2, 3, 10)."""
    return _weight(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d for its input (of size input_size), as ``torch.nn.grad.conv2d_input``.

    Example: ``torch.nn.grad.conv2d_input(x.shape, w, g)`` equals ``torch.autograd.grad(F.conv2d(x, w), x, g)[0]``."""
    return _input(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d for its weight (of size weight_size), as ``torch.nn.grad.conv2d_weight``.

    Example: ``torch.nn.grad.conv2d_weight(x, w.shape, g)`` equals ``torch.autograd.grad(F.conv2d(x, w), w, g)[0]``."""
    return _weight(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d for its input (of size input_size), as ``torch.nn.grad.conv3d_input``.

    Example: ``torch.nn.grad.conv3d_input(x.shape, w, g)`` equals ``torch.autograd.grad(F.conv3d(x, w), x, g)[0]``."""
    return _input(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d for its weight (of size weight_size), as ``torch.nn.grad.conv3d_weight``.

    Example: ``torch.nn.grad.conv3d_weight(x, w.shape, g)`` equals ``torch.autograd.grad(F.conv3d(x, w), w, g)[0]``."""
    return _weight(3, input, weight_size, grad_output, stride, padding, dilation, groups)
