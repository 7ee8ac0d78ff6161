"""The KL pairs of the families added after kl.py's first set (ContinuousBernoulli, LowRankMultivariateNormal,
Pareto, and torch's generic same-type ExponentialFamily pair), registered into the same table on import: closed
forms, and inf where p's support is not inside q's."""
import math

import numpy as np

import autograd_lite as al
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import Gumbel
from .kl import _check_event_shapes, _infinite_where, register_kl
from .laplace import Laplace
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                                          _batch_lowrank_mahalanobis)
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis, _solve_tril
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform
from .utils import _sum_rightmost

__all__ = []


def _infinite_like(t):
    return al.full_like(t, float("inf"))


def _x_log_x(t):
    return t * t.log()


def _batch_trace_XXT(bmat):
    """trace(X X^T) of each matrix of the batch."""
    return bmat.pow(2).sum((-2, -1))


def _lowrank_terms(q, diff):
    """q's log det, the Mahalanobis term of `diff`, and A = C^-1 W^T D^-1 (C q's capacitance factor)."""
    W, D, C = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    batch = tuple(np.broadcast_shapes(tuple(C.shape[:-2]), tuple(Wt_Dinv.shape[:-2])))
    A = _solve_tril(C.expand(batch + tuple(C.shape[-2:])), Wt_Dinv.expand(batch + tuple(Wt_Dinv.shape[-2:])))
    return _batch_lowrank_logdet(W, D, C), _batch_lowrank_mahalanobis(W, D, diff, C), A


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """The Bregman divergence of the log-normalizer (torch's fallback for a same-type pair, used by Wishart).
    As torch, each natural parameter's term is summed over len(event_shape) rightmost dims."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot "
                                  + " " * 28 + "be computed using Bregman divergences")
    p_nparams = [n.detach().requires_grad_() for n in p._natural_params]
    q_nparams = q._natural_params
    lg_normal = p._log_normalizer(*p_nparams)
    gradients = al.autograd.grad(lg_normal.sum(), p_nparams, create_graph=True)
    result = q._log_normalizer(*q_nparams) - lg_normal
    for pnp, qnp, g in zip(p_nparams, q_nparams, gradients):
        result = result - _sum_rightmost((qnp - pnp) * g, len(q.event_shape))
    return result


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_event_shapes(p, q, "Low Rank Multivariate Normals")
    logdet_q, term3, A = _lowrank_terms(q, q.loc - p.loc)
    term1 = logdet_q - p._logdet()
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    term2 = ((pD / qD).sum(-1) + _batch_trace_XXT(pW * qD.rsqrt().unsqueeze(-1))
             - _batch_trace_XXT(A * pD.sqrt().unsqueeze(-2)) - _batch_trace_XXT(A.matmul(pW)))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrank(p, q):
    _check_event_shapes(p, q, "(Low Rank) Multivariate Normals")
    logdet_q, term3, A = _lowrank_terms(q, q.loc - p.loc)
    Lp = p._unbroadcasted_scale_tril
    term1 = logdet_q - 2 * Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    term2 = (_batch_trace_XXT(Lp * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
             - _batch_trace_XXT(A.matmul(Lp)))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_multivariatenormal(p, q):
    _check_event_shapes(p, q, "(Low Rank) Multivariate Normals")
    Lq = q._unbroadcasted_scale_tril
    term1 = 2 * Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - p._logdet()
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    n, m = p.event_shape[0], p.cov_factor.size(-1)
    batch = tuple(np.broadcast_shapes(tuple(Lq.shape[:-2]), tuple(p._unbroadcasted_cov_factor.shape[:-2])))
    Lq = Lq.expand(batch + (n, n))
    term21 = _batch_trace_XXT(_solve_tril(Lq, p._unbroadcasted_cov_factor.expand(batch + (n, m))))
    term22 = _batch_trace_XXT(_solve_tril(Lq, al.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(batch + (n, n))))
    return 0.5 * (term1 + term21 + term22 + term3 - p.event_shape[0])


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + al.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - al.log1p(-q.probs)
    return t1 + t2 + t3


def _kl_to_continuous_bernoulli(p, q):
    """KL(p || q) for a p on [0, 1] with a closed-form entropy and mean."""
    return -p.entropy() - p.mean * q.logits - al.log1p(-q.probs) - q._cont_bern_log_norm()


register_kl(Beta, ContinuousBernoulli)(_kl_to_continuous_bernoulli)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = _kl_to_continuous_bernoulli(p, q)
    return _infinite_where((p.high >= q.support.upper_bound) | (p.low <= q.support.lower_bound), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - al.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    t2 = 0.5 * (math.log(2.0 * math.pi) + al.square(q.loc / q.scale)) + al.log(q.scale)
    t3 = (p.variance + al.square(p.mean) - 2.0 * q.loc * p.mean) / (2.0 * al.square(q.scale))
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low >= p.support.lower_bound) | (q.high <= p.support.upper_bound), result)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    scale_ratio, alpha_ratio = p.scale / q.scale, q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    return _infinite_where(p.support.lower_bound < q.support.lower_bound, result)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    scale_rate_prod = p.scale * q.rate
    result = ((p.alpha / scale_rate_prod).log() - p.alpha.reciprocal() + p.alpha * scale_rate_prod / (p.alpha - 1)
              - 1)
    return _infinite_where(p.alpha <= 1, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    common_term = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common_term
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common_term
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return _infinite_where(p.alpha <= 1, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    var_normal = 2 * q.scale.pow(2)
    common_term = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common_term.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common_term - q.loc).pow(2)
    return _infinite_where(p.alpha <= 2, t1 - p.alpha.reciprocal() + (t3 + t4) / var_normal - 1)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    support_uniform = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * support_uniform).log()
    t2 = (_x_log_x(p.high) - _x_log_x(p.low) - support_uniform) / support_uniform
    return _infinite_where(p.low < q.support.lower_bound, t2 * (q.alpha + 1) - t1)


# p's support is not inside q's: KL is infinite (first parameter names the batch shape)
for _p, _qs, _param in ((Beta, (Pareto,), "concentration1"), (ContinuousBernoulli, (Pareto,), "probs"),
                        (Exponential, (ContinuousBernoulli, Pareto), "rate"),
                        (Gamma, (ContinuousBernoulli, Pareto), "concentration"),
                        (Gumbel, (ContinuousBernoulli, Pareto), "loc"), (Laplace, (ContinuousBernoulli, Pareto), "loc"),
                        (Normal, (ContinuousBernoulli, Pareto), "loc"),
                        (Pareto, (Beta, ContinuousBernoulli, Uniform), "scale")):
    for _q in _qs:
        register_kl(_p, _q)(lambda p, q, _param=_param: _infinite_like(getattr(p, _param)))
