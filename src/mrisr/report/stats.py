"""Statistics for report tables: bootstrap confidence intervals and paired tests.

References
----------
B. Efron, R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall,
1993 (percentile interval: ch. 13; BCa interval: ch. 14.3, eq. 14.14-14.15).
F. Wilcoxon, "Individual comparisons by ranking methods", Biometrics Bulletin
1(6), 1945.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from mrisr.evaluation import EvalResult

CI_METHODS = ("bca", "percentile")


def _finite(values: Any) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def bootstrap_ci(
    values: Any,
    *,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
    method: str = "bca",
) -> tuple[float, float]:
    """Two-sided bootstrap confidence interval of the mean.

    Resamples the values (images) with replacement ``n_resamples`` times,
    drawing indices with ``numpy.random.default_rng(seed).integers`` in one
    ``(n_resamples, n)`` block, so that the result equals
    ``scipy.stats.bootstrap((values,), np.mean, rng=default_rng(seed), ...)``.

    Parameters
    ----------
    values : array_like
        One value per image; non-finite values are dropped (as in
        :func:`mrisr.metrics.summarise`).
    confidence : float, default 0.95
        Confidence level, in (0, 1).
    n_resamples : int, default 9999
        Number of bootstrap resamples (>= 1).
    seed : int, default 0
        Seed of the resampling RNG (the interval is reproducible).
    method : {'bca', 'percentile'}
        Bias-corrected and accelerated (default, better coverage for the few
        images of a validation split) or plain percentile interval.

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` for fewer than two values; ``(v, v)`` when all values
        equal ``v``.

    Raises
    ------
    ValueError
        For a bad ``confidence``, ``n_resamples`` or ``method``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if method not in CI_METHODS:
        raise ValueError(f"unknown bootstrap method {method!r} (options: {', '.join(CI_METHODS)})")
    x = _finite(values)
    if x.size < 2:
        return math.nan, math.nan
    if np.all(x == x[0]):
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, (int(n_resamples), x.size))
    boot = x[idx].mean(axis=-1)
    alpha = (1.0 - confidence) / 2.0
    levels = _bca_levels(x, boot, alpha) if method == "bca" else (alpha, 1.0 - alpha)
    low, high = np.quantile(boot, levels)
    return float(low), float(high)


def _bca_levels(x: np.ndarray, boot: np.ndarray, alpha: float) -> tuple[float, float]:
    """BCa-adjusted quantile levels for the mean of ``x`` (Efron & Tibshirani eq. 14.14)."""
    theta = x.mean()
    # bias correction: where the estimate falls in the bootstrap distribution ('mean' ranks)
    below = np.count_nonzero(boot < theta) + np.count_nonzero(boot <= theta)
    z0 = special.ndtri(below / (2.0 * boot.size))
    # acceleration from the jackknife means
    jack = (x.sum() - x) / (x.size - 1)
    u = (x.size - 1) * (jack.mean() - jack)
    den = np.sum(u**2) / x.size**2
    a = (np.sum(u**3) / x.size**3) / den**1.5 / 6.0
    levels = []
    for z in (special.ndtri(alpha), -special.ndtri(alpha)):
        num = z0 + z
        levels.append(float(special.ndtr(z0 + num / (1.0 - a * num))))
    if not all(np.isfinite(levels)):
        raise ValueError("BCa interval is undefined for these values; use method='percentile'")
    return levels[0], levels[1]


def wilcoxon_p(a: Any, b: Any) -> float:
    """Two-sided p-value of the paired Wilcoxon signed-rank test of ``a`` vs ``b``.

    Pairs where either value is not finite are dropped; zero differences are
    discarded (Wilcoxon's convention). scipy uses the exact null distribution
    for small samples without ties.

    Returns
    -------
    float
        ``nan`` when fewer than two pairs remain, ``1.0`` when all differences are zero.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    if d.size < 2:
        return math.nan
    if np.all(d == 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


@dataclass
class MethodStats:
    """Summary of one method at one scale, as shown in the report tables.

    ``mean``/``ci`` map a metric key (``psnr``, ``psnr_fg``, ``ssim``,
    ``ssim_g``, ``seconds``) to its mean over images and 95 % bootstrap CI;
    ``delta``/``delta_ci`` hold the paired mean improvement over the
    baseline; ``p_next`` the Wilcoxon p-value against ``next_method`` (the
    method ranked just below this one by mean PSNR).
    """

    method: str
    rank: int
    n: int
    mean: dict[str, float] = field(default_factory=dict)
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    delta: dict[str, float] = field(default_factory=dict)
    delta_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    next_method: str | None = None
    p_next: dict[str, float] = field(default_factory=dict)


STAT_KEYS = ("psnr", "psnr_fg", "ssim", "ssim_g", "seconds")
TEST_KEYS = ("psnr", "ssim")


def paired_values(result: EvalResult, method: str, key: str, images: list[str]) -> np.ndarray:
    """Values of ``key`` for ``method`` in the order of ``images`` (nan where missing)."""
    by_image = {r["image"]: float(r[key]) for r in result.rows if r["method"] == method}
    return np.array([by_image.get(n, math.nan) for n in images], dtype=np.float64)


def method_statistics(
    result: EvalResult,
    *,
    baseline: str | None = "bicubic",
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
    method: str = "bca",
) -> list[MethodStats]:
    """Rank methods by mean PSNR and attach CIs, gains over ``baseline`` and tests.

    Parameters
    ----------
    result : EvalResult
        Per-image rows of one scale.
    baseline : str, optional
        Method label the improvement is measured against; skipped when absent.
    confidence, n_resamples, seed, method
        Passed to :func:`bootstrap_ci`.

    Returns
    -------
    list of MethodStats
        Best first.
    """
    images = sorted({r["image"] for r in result.rows})
    boot = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed, "method": method}
    out = []
    for label in result.methods():
        st = MethodStats(
            method=label,
            rank=0,
            n=int(np.isfinite(paired_values(result, label, "psnr", images)).sum()),
        )
        for key in STAT_KEYS:
            v = paired_values(result, label, key, images)
            st.mean[key] = float(np.mean(_finite(v))) if _finite(v).size else math.nan
            st.ci[key] = bootstrap_ci(v, **boot)
        if baseline is not None and baseline in result.methods():
            for key in ("psnr", "psnr_fg", "ssim", "ssim_g"):
                d = paired_values(result, label, key, images) - paired_values(
                    result, baseline, key, images
                )
                st.delta[key] = float(np.mean(_finite(d))) if _finite(d).size else math.nan
                st.delta_ci[key] = bootstrap_ci(d, **boot)
        out.append(st)
    out.sort(key=lambda s: (-s.mean["psnr"] if np.isfinite(s.mean["psnr"]) else math.inf, s.method))
    for i, st in enumerate(out):
        st.rank = i + 1
        if i + 1 < len(out):
            nxt = out[i + 1].method
            st.next_method = nxt
            for key in TEST_KEYS:
                st.p_next[key] = wilcoxon_p(
                    paired_values(result, st.method, key, images),
                    paired_values(result, nxt, key, images),
                )
    return out
