"""Bootstrap CIs and Wilcoxon tests against scipy on known inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mrisr.evaluation import EvalResult
from mrisr.report.stats import bootstrap_ci, method_statistics, wilcoxon_p


@pytest.mark.parametrize("method", ["bca", "percentile"])
@pytest.mark.parametrize("n", [6, 25])
def test_bootstrap_matches_scipy(method, n):
    x = np.random.default_rng(11).gamma(2.0, 3.0, size=n)  # skewed, so BCa differs from percentile
    ours = bootstrap_ci(x, n_resamples=3000, seed=5, method=method, confidence=0.9)
    ref = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=3000,
        rng=np.random.default_rng(5),
        method="BCa" if method == "bca" else "percentile",
        confidence_level=0.9,
    )
    np.testing.assert_allclose(ours, tuple(ref.confidence_interval), rtol=1e-12)


def test_bca_and_percentile_differ_on_skewed_data():
    x = np.random.default_rng(0).exponential(size=8)
    assert bootstrap_ci(x, method="bca") != bootstrap_ci(x, method="percentile")


def test_bootstrap_is_seeded_and_brackets_the_mean():
    x = np.random.default_rng(1).normal(30, 1, size=10)
    lo, hi = bootstrap_ci(x, seed=3)
    assert (lo, hi) == bootstrap_ci(x, seed=3)
    assert bootstrap_ci(x, seed=4) != (lo, hi)
    assert lo < x.mean() < hi


def test_bootstrap_degenerate_inputs():
    assert bootstrap_ci([2.5, 2.5, 2.5]) == (2.5, 2.5)
    assert all(math.isnan(v) for v in bootstrap_ci([1.0]))
    # non-finite values are dropped like in mrisr.metrics.summarise
    x = np.array([1.0, 2.0, 4.0, 3.0])
    assert bootstrap_ci([*x, math.inf, math.nan], seed=2) == bootstrap_ci(x, seed=2)


@pytest.mark.parametrize("kwargs", [{"confidence": 1.0}, {"n_resamples": 0}, {"method": "bcx"}])
def test_bootstrap_rejects_bad_options(kwargs):
    with pytest.raises(ValueError, match="confidence|n_resamples|bcx"):
        bootstrap_ci([1.0, 2.0, 3.0], **kwargs)


def test_wilcoxon_known_exact_value():
    # 6 pairs, all differences positive: exact two-sided p = 2 / 2**6
    assert wilcoxon_p([3, 4, 5, 6, 7, 8.5], [1, 1, 1, 1, 1, 1]) == pytest.approx(2 / 64)


def test_wilcoxon_matches_scipy():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=15), rng.normal(0.3, size=15)
    assert wilcoxon_p(a, b) == pytest.approx(stats.wilcoxon(a, b).pvalue, rel=1e-12)


def test_wilcoxon_edge_cases():
    assert wilcoxon_p([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert math.isnan(wilcoxon_p([1.0], [0.0]))
    with pytest.raises(ValueError, match="differ in length"):
        wilcoxon_p([1.0, 2.0], [1.0])


def _result(values: dict[str, list[float]]) -> EvalResult:
    res = EvalResult()
    for m, vals in values.items():
        for i, v in enumerate(vals):
            res.rows.append(
                {
                    "method": m,
                    "image": f"i{i}",
                    "psnr": v,
                    "psnr_fg": v - 1,
                    "ssim": v / 40,
                    "ssim_g": v / 41,
                    "seconds": 0.1,
                }
            )
    return res


def test_method_statistics_ranks_and_tests_next_best():
    vals = {
        "bicubic": [28.0, 29.0, 27.5, 28.2, 28.9, 27.0],
        "good": [31.0, 32.5, 30.0, 31.2, 32.0, 30.1],
        "ok": [29.0, 29.4, 28.1, 28.3, 29.9, 27.1],
    }
    st = method_statistics(_result(vals), n_resamples=500)
    assert [s.method for s in st] == ["good", "ok", "bicubic"]
    assert [s.next_method for s in st] == ["ok", "bicubic", None]
    assert st[0].p_next["psnr"] == pytest.approx(stats.wilcoxon(vals["good"], vals["ok"]).pvalue)
    assert st[0].delta["psnr"] == pytest.approx(np.mean(np.subtract(vals["good"], vals["bicubic"])))
    assert st[2].delta["psnr"] == 0.0
    assert st[0].ci["psnr"] == bootstrap_ci(vals["good"], n_resamples=500)
    assert st[0].mean["psnr_fg"] == pytest.approx(np.mean(vals["good"]) - 1)


def test_method_statistics_without_baseline_has_no_delta():
    st = method_statistics(_result({"a": [1.0, 2.0, 3.0], "b": [0.5, 1.0, 1.5]}), n_resamples=100)
    assert all(not s.delta for s in st)
