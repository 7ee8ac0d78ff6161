"""The named results of the ops that return (values, indices), as ``torch.return_types``: ``max`` and ``min``
along a dim, ``sort``, ``topk``, ``kthvalue``, ``median`` and ``mode`` along a dim.

Each is a tuple (indexable, unpackable, ``isinstance(r, tuple)``) with read-only fields ``.values`` and
``.indices``, built from one sequence as PyTorch's structseq types are (``return_types.max((v, i))``), and
printed as PyTorch prints them::

    >>> autograd_lite.max(autograd_lite.tensor([[1., 2.], [3., 4.]]), 1)
    autograd_lite.return_types.max(
    values=tensor([2., 4.]),
    indices=tensor([1, 1]))
"""
from operator import itemgetter

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin", "nanmedian",
           "slogdet", "linalg_slogdet", "linalg_eigh", "linalg_svd", "svd", "linalg_qr", "qr", "linalg_lstsq",
           "aminmax", "frexp", "triangular_solve", "lu_unpack", "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex",
           "linalg_inv_ex", "linalg_solve_ex", "linalg_cholesky_ex", "histogram", "histogramdd",
           "all_return_types", "linalg_eig", "geqrf"]


class _StructSeq(tuple):
    """A tuple with named fields, like CPython's structseq (``os.stat_result``) that PyTorch uses."""
    __slots__ = ()
    _field_names = ()

    def __new__(cls, sequence, dict=None):           # noqa: A002  (structseq's signature)
        try:
            items = tuple(sequence)
        except TypeError:
            raise TypeError("constructor requires a sequence") from None
        n = len(cls._field_names)
        if len(items) != n:
            raise TypeError(f"{cls.__module__}.{cls.__name__}() takes a {n}-sequence "
                            f"({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    @classmethod
    def _of(cls, *items):
        """The library's constructor: ``cls._of(values, indices)``, no checks."""
        return tuple.__new__(cls, items)

    def __repr__(self):
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._field_names, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{fields})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self), {})


def _structseq(name, fields=("values", "indices")):
    namespace = {"__slots__": (), "__module__": __name__, "__qualname__": name, "_field_names": fields,
                 "__match_args__": fields, "n_fields": len(fields), "n_sequence_fields": len(fields),
                 "n_unnamed_fields": 0,
                 "__doc__": f"The result of ``{name}``: a tuple ({', '.join(fields)})."}
    for i, field in enumerate(fields):
        namespace[field] = property(itemgetter(i), doc=f"Alias for field number {i}")
    return type(name, (_StructSeq,), namespace)


max = _structseq("max")            # noqa: A001  (as torch.return_types.max)
min = _structseq("min")            # noqa: A001
sort = _structseq("sort")
topk = _structseq("topk")
kthvalue = _structseq("kthvalue")
median = _structseq("median")
mode = _structseq("mode")
cummax = _structseq("cummax")
cummin = _structseq("cummin")
nanmedian = _structseq("nanmedian")
slogdet = _structseq("slogdet", ("sign", "logabsdet"))                    # the linear algebra results
linalg_slogdet = _structseq("linalg_slogdet", ("sign", "logabsdet"))
linalg_eigh = _structseq("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _structseq("linalg_eig", ("eigenvalues", "eigenvectors"))       # ops/linalg_eig.py
linalg_svd = _structseq("linalg_svd", ("U", "S", "Vh"))
svd = _structseq("svd", ("U", "S", "V"))
linalg_qr = _structseq("linalg_qr", ("Q", "R"))
qr = _structseq("qr", ("Q", "R"))
linalg_lstsq = _structseq("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
aminmax = _structseq("aminmax", ("min", "max"))
frexp = _structseq("frexp", ("mantissa", "exponent"))
histogram = _structseq("histogram", ("hist", "bin_edges"))             # ops/utility.py
histogramdd = _structseq("histogramdd", ("hist", "bin_edges"))
triangular_solve = _structseq("triangular_solve", ("solution", "cloned_coefficient"))
lu_unpack = _structseq("lu_unpack", ("P", "L", "U"))
linalg_lu = _structseq("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _structseq("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_inv_ex = _structseq("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _structseq("linalg_solve_ex", ("result", "info"))
linalg_cholesky_ex = _structseq("linalg_cholesky_ex", ("L", "info"))
geqrf = _structseq("geqrf", ("a", "tau"))                                   # ops/matrix_functions.py

all_return_types = [max, min, sort, topk, kthvalue, median, mode, cummax, cummin, nanmedian, slogdet, linalg_slogdet,
                    linalg_eigh, linalg_svd, svd, linalg_qr, qr, linalg_lstsq, aminmax, frexp,
                    triangular_solve, lu_unpack, linalg_lu, linalg_lu_factor, linalg_lu_factor_ex, linalg_inv_ex,
                    linalg_solve_ex, linalg_cholesky_ex, histogram, histogramdd, linalg_eig, geqrf]
