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


@pytest.mark.parametrize("bad", [{"scale_range": (1.0, 4.0)}, {"scale_range": (3.0, 2.0)}, {"p_study": 1.5},
                                 {"p_smooth": -0.1}, {"smooth_range": (0.0, 1.0)}, {"smooth_range": (1.2, 0.3)}])
def test_bad_prior_is_refused(bad):
    with pytest.raises(ValueError, match="bad blind prior"):
        BlindPrior(**bad)


def test_unknown_prior_names_the_closest():
    with pytest.raises(ValueError, match="did you mean 'blind-v1'"):
        PRIORS.get("blnd-v1")


def test_a_draw_knows_a_kspace_acquisition_wherever_its_resampling_step_is():
    from mrisr.data.blind import Draw

    assert Draw("", "kspace:window=hann+rician:0.01+quant:8").kspace
    assert Draw("", "gain:1.1+kspace").kspace and not Draw("", "gaussian:2+quant:8").kspace


def test_blind_v2_smooths_a_quarter_of_the_drawn_objects_and_leaves_blind_v1_as_it_was():
    v1, v2 = PRIORS.get("blind-v1"), PRIORS.get("blind-v2")
    assert v1 == BlindPrior() and v2.p_smooth == 0.25
    # p_smooth = 0 draws nothing more: blind-v1's draws (and so its training runs) replay as before blind-v2
    # existed (these six are what the prior drew at commit cf3e44a)
    before = [("gamma:0.708", "area+rician:0.0198+quant:8"),
              ("remap:nonmonotone+gamma:1.351", "gaussian:1.528+noise:0.0032+quant:12"),
              ("bias:0.200", "bicubic+quant:8"), ("", "gaussian+quant:8,floor"),
              ("bias:0.202", "gaussian:1.502/1.572+noise:0.0310+quant:8"),
              ("remap:monotone", "kspace:window=hann+quant:8")]
    assert [(d.contrast, d.acquisition) for d in (v1.draw(np.random.default_rng(i), 2.0) for i in range(6))] == before
    draws = [v2.draw(np.random.default_rng(i), 2.0) for i in range(4000)]
    free = [d for d in draws if d.acquisition != v2.study_spec]
    sigmas = [float(d.contrast.split("+")[0].split(":")[1]) for d in free if d.contrast.startswith("smooth:")]
    assert len(sigmas) / len(free) == pytest.approx(0.25, abs=0.03)
    assert min(sigmas) >= 0.3 and max(sigmas) <= 1.2
    assert np.median(sigmas) == pytest.approx(np.sqrt(0.3 * 1.2), rel=0.1)  # log-uniform
    assert not any("smooth" in d.contrast for d in draws if d.acquisition == v2.study_spec)
