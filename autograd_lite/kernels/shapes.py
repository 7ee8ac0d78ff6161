"""Shape checks shared by the device kernel tables (kernels.cpu, kernels.cuda.table): pure Python on the arrays'
shapes, so that every device rejects a bad call with the same message."""

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "log_softmax")    # linear_forward's fused epilogues


def check_linear(x, w, b, activation):
    """ValueError unless x (..., in), w (out, in), b (out,) or None, and a known activation."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"linear_forward: activation must be one of {ACTIVATIONS}, got {activation!r}")
    ws = w.shape
    if len(ws) != 2 or not x.ndim or x.shape[-1] != ws[1] or (b is not None and b.shape != ws[:1]):
        got = f"x {x.shape}, w {ws}, b {None if b is None else b.shape}"
        raise ValueError(f"linear_forward: expected x (..., in), w (out, in), b (out,) or None, got {got}")


def check_rows(op, x):
    """ValueError unless x is a (rows, classes) array."""
    if x.ndim != 2:
        raise ValueError(f"{op}: expected a (rows, classes) array, got shape {x.shape}")
