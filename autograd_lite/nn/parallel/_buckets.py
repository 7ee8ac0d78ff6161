"""DistributedDataParallel's gradient buckets: parameters in reverse registration order (backward's order) packed
into flat buffers of at most a byte cap, one dtype and device per bucket."""
from ... import backend as _backend

FIRST_BUCKET_BYTES = 1024 * 1024        # as PyTorch: a small first bucket starts communication early


class Bucket:
    """A flat buffer and the parameters whose gradients it holds (``views[i]``: parameter i's slot)."""

    def __init__(self, params):
        self.params = params
        data = params[0]._data
        xp = _backend.backend_of(data).xp
        self.buffer = xp.zeros(sum(p._data.size for p in params), data.dtype)
        self.views, offset = [], 0
        for p in params:
            n = p._data.size
            self.views.append(self.buffer[offset:offset + n].reshape(p._data.shape))
            offset += n
        self.pending = len(params)
        self.work = None


def make_buckets(params, cap_bytes):
    """`params` (registration order) as Buckets, in the order their all-reduces are launched."""
    buckets, current, size, cap = [], [], 0, min(FIRST_BUCKET_BYTES, cap_bytes)
    for p in reversed(params):
        key = (p._data.dtype, _backend.backend_of(p._data))
        if current and (size + p._data.nbytes > cap or key != current_key):
            buckets.append(Bucket(current))
            current, size, cap = [], 0, cap_bytes
        if not current:
            current_key = key
        current.append(p)
        size += p._data.nbytes
    if current:
        buckets.append(Bucket(current))
    return buckets
