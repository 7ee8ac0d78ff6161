"""LKJCholesky(dim, concentration): the LKJ distribution over lower Cholesky factors of correlation matrices
(sampled by the onion method of Lewandowski, Kurowicka and Joe, 2009, as NumPyro and torch do)."""
import math

import autograd_lite as al
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """The LKJ distribution for lower Cholesky factors L of correlation matrices: the density of L @ L.T is
    proportional to det(L @ L.T) ** (concentration - 1); concentration 1 is uniform over correlation matrices.

    Example: ``L = LKJCholesky(3, 0.5).sample()  # L @ L.T is a 3 x 3 correlation matrix``"""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # the onion method's draws y_k ~ Beta(k / 2, eta + (dim - 2) / 2 - (k - 1) / 2) for rows k = 1..dim-1 (row 0
        # gets a dummy), vectorised over rows and batch. torch 2.13 uses Beta(k - 1/2, ...), wrong for k >= 2: its
        # correlations are too spread out for dim >= 3; these are NumPyro's (LKJ 2009, sec. 3.2) concentrations.
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = al.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = 0.5 * al.cat([offset.new_zeros((1,)), offset])
        # unvalidated: a bad concentration is reported under its own name by Distribution.__init__ below
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - offset, validate_args=False)
        super().__init__(self.concentration.size(), (dim, dim), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = al.Size(tuple(batch_shape))
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return self._finish_expand(new, batch_shape)

    def sample(self, sample_shape=()):
        with al.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = al.randn(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            # row 0 is all zeros: divide it by 1 instead of 0 so it stays 0 (torch fills its NaNs with 0)
            u_hypersphere = u_normal / al.where(norm == 0, al.ones_like(norm), norm)
            w = al.sqrt(y) * u_hypersphere
            diag_elems = al.clamp(1 - al.sum(w ** 2, dim=-1), min=al.finfo(w.dtype).tiny).sqrt()
            return w + al.diag_embed(diag_elems)

    def log_prob(self, value):
        # density of L: prod_i L_ii ** (2 * (concentration - 1) + dim - i) for i = 2..dim, normalised (LKJ 2009,
        # p. 1999; Stan's lkj_corr_cholesky)
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = al.arange(2, self.dim + 1, dtype=self.concentration.dtype, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = al.sum(order * diag_elems.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = al.lgamma(alpha) * dm1
        numerator = al.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)     # the paper's D(D-1)/4 log pi minus mvlgamma's own
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
