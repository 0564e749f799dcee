"""The blind prior: every draw is a valid spec, scales follow the stated distribution, draws replay."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.data.blind import PRIORS, BlindPrior
from mrisr.data.degrade import parse_degradation, parse_same_grid


def test_every_draw_parses_with_one_resampling_step():
    prior, rng = PRIORS.get("blind-v1"), np.random.default_rng(0)
    families = set()
    for _ in range(400):
        scale = prior.draw_scale(rng)
        d = prior.draw(rng, scale)
        pipe = parse_degradation(d.acquisition)  # exactly one resampling step, or ValueError
        parse_same_grid(d.contrast)  # no resampling step, or ValueError
        families.add(next(s.name for s in pipe.steps if s.family.resamples))
        hr = np.random.default_rng(1).random((40, 40))
        lr = pipe(hr, (round(40 / scale),) * 2, seed=rng)
        assert lr.shape == (round(40 / scale),) * 2 and np.all((lr >= 0) & (lr <= 1))
    assert families == {"kspace", "gaussian", "bicubic", "lanczos", "area"}


def test_scales_follow_the_documented_distribution():
    prior, rng = BlindPrior(), np.random.default_rng(2)
    scales = np.array([prior.draw_scale(rng) for _ in range(4000)])
    assert scales.min() >= 1.5 and scales.max() <= 4.0
    assert np.allclose(scales * 8, np.round(scales * 8))  # on the 1/8 grid
    exact2 = np.mean(scales == 2.0)
    assert 0.33 < exact2 < 0.42  # 35 % drawn exactly, plus the grid's own share of 2.0
    assert np.mean((scales != 2.0) & (scales != 4.0)) == pytest.approx(0.3 * 19 / 21, abs=0.03)


def test_study_pipeline_share_and_replay():
    prior = BlindPrior()
    draws = [prior.draw(np.random.default_rng(i), 2.0) for i in range(2000)]
    share = np.mean([d.acquisition == prior.study_spec and d.contrast == "" for d in draws])
    assert share == pytest.approx(0.15, abs=0.03)
    assert [prior.draw(np.random.default_rng(i), 2.0) for i in range(20)] == draws[:20]


@pytest.mark.parametrize("bad", [{"scale_range": (1.0, 4.0)}, {"scale_range": (3.0, 2.0)}, {"p_study": 1.5}])
def test_bad_prior_is_refused(bad):
    with pytest.raises(ValueError, match="bad blind prior"):
        BlindPrior(**bad)


def test_unknown_prior_names_the_closest():
    with pytest.raises(ValueError, match="did you mean 'blind-v1'"):
        PRIORS.get("blind-v2")


def test_a_draw_knows_a_kspace_acquisition_wherever_its_resampling_step_is():
    from mrisr.data.blind import Draw

    assert Draw("", "kspace:window=hann+rician:0.01+quant:8").kspace
    assert Draw("", "gain:1.1+kspace").kspace and not Draw("", "gaussian:2+quant:8").kspace
