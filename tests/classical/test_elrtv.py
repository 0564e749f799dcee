import numpy as np
import pytest

from mrisr.classical.elrtv import ELRTVConfig, back_project, elrtv
from mrisr.classical.operators import gaussian_operator
from mrisr.data.resize import resize
from mrisr.metrics import psnr

from .conftest import band_limited, phantom

OP = {"kind": "gaussian", "sigma": 1.0}


def _lr(hr, scale=2, op=OP):
    h, w = hr.shape
    return gaussian_operator((h, w), (h // scale, w // scale), sigma=op["sigma"]).forward(hr)


@pytest.mark.parametrize("rank_mode", ["none", "global", "patch"])
def test_admm_objective_decreases(rank_mode):
    hr = phantom(40)
    kw = dict(scale=2, operator=OP, init="zeros", lam_tv=1e-3, lam_rank=1e-3, rank_mode=rank_mode,
              rho=0.05, cg_iters=3, patch=4, stride=4, search=3, group=8, dtype="float64", tol=1e-12)
    res = elrtv(_lr(hr), iters=40, **kw)
    e = res.energy[:, 0]
    assert res.energy.shape == (41, 1)
    assert e[-1] < 0.05 * e[0]
    # a run four times longer lowers the objective by less than 2 %: it has (nearly) converged
    assert e[-1] < 1.02 * elrtv(_lr(hr), iters=160, **kw).energy[-1, 0]
    assert e[-1] <= e.min() * 1.01
    # after a short transient, the objective settles: the last 10 iterations vary by < 1 %
    assert np.ptp(e[-10:]) < 0.01 * e[-1]
    assert res.change[-1] < res.change[0]


def test_band_limited_image_reconstructed_far_better_than_bicubic():
    hr = band_limited((64, 64), cutoff=0.15)
    lr = _lr(hr)
    sr = elrtv(lr, scale=2, operator=OP, lam_tv=1e-6, rank_mode="none", iters=30, init_eps=1e-6,
               dtype="float64").image
    bic = resize(lr, hr.shape, antialias=False)
    assert psnr(sr, hr) > 42.0
    assert psnr(sr, hr) > psnr(bic, hr) + 12.0


def test_batch_equals_single_images():
    hr = np.stack([phantom(32, seed=s) for s in (1, 2)])
    lr = _lr(hr[0]), _lr(hr[1])
    kw = dict(scale=2, operator=OP, lam_tv=1e-3, iters=5, rank_mode="patch", lam_rank=1e-3, patch=4, search=2)
    both = elrtv(np.stack(lr), **kw)
    assert both.image.shape == (2, 32, 32) and both.image.dtype == np.float32
    for k in range(2):
        np.testing.assert_allclose(both.image[k], elrtv(lr[k], **kw).image, atol=1e-5)


def test_enhancement_options_change_output_and_stay_in_range():
    lr = _lr(phantom(32))
    base = elrtv(lr, scale=2, operator=OP, iters=3).image
    for opt in [dict(edge_adaptive=2.0), dict(hf_boost=0.3), dict(bp_iters=2), dict(box=True),
                dict(init="bicubic"), dict(steps=2), dict(nlm_h=0.02)]:
        out = elrtv(lr, scale=2, operator=OP, iters=3, **opt).image
        assert out.shape == base.shape and 0 <= out.min() and out.max() <= 1
        assert not np.allclose(out, base), opt


def test_back_projection_reduces_data_residual(rng):
    op = gaussian_operator((32, 32), (16, 16))
    hr = phantom(32)
    y = op.forward(hr)
    x0 = resize(y, (32, 32))
    x1 = back_project(x0.astype(np.float64), y, op, iters=5, step=1.0)
    assert np.linalg.norm(op.forward(x1) - y) < 0.5 * np.linalg.norm(op.forward(x0) - y)


def test_multi_step_4x_runs():
    res = elrtv(_lr(phantom(64), 4, {"sigma": 2.0}), scale=4, operator={"kind": "gaussian", "sigma": 2.0},
                steps=2, iters=4)
    assert res.image.shape == (64, 64) and res.iterations == 4


@pytest.mark.parametrize(
    ("opts", "match"),
    [({"lam_tv": -1.0}, "lam_tv must be"), ({"iters": 2.5}, "iters must be an integer"),
     ({"rank_mode": "low"}, "rank_mode must be one of"), ({"foo": 1}, "unknown ELRTV parameter"),
     ({"rho": 0}, "rho must be"), ({"init": "nearest"}, "init must be one of")],
)
def test_bad_options(opts, match):
    with pytest.raises(ValueError, match=match):
        elrtv(np.zeros((8, 8)), scale=2, **opts)


def test_bad_shapes():
    with pytest.raises(ValueError, match="expected LR"):
        elrtv(np.zeros(8), scale=2)
    with pytest.raises(ValueError, match="scale or out_shape"):
        elrtv(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="smaller than"):
        elrtv(np.zeros((8, 8)), out_shape=(4, 4))
    with pytest.raises(ValueError, match="finite"):
        elrtv(np.full((8, 8), np.nan), scale=2)
    assert ELRTVConfig.from_dict({}).rank_on is False


def test_zero_background_leaves_unobserved_pixels_to_the_solver():
    from mrisr.classical.elrtv import background_mask
    from mrisr.classical.operators import make_operator

    # slices half as thick as their spacing: every other pair of HR columns is seen by no LR column
    op = make_operator({"kind": "slice_profile", "thickness": 0.5}, (16, 32), (16, 8))
    unseen = op.adjoint(np.ones((16, 8))) == 0
    assert unseen.any()
    lr = np.full((16, 8), 0.6)
    lr[:, 0] = 0.0  # one LR column of background
    mask = background_mask(lr[None], op)[0]
    assert not (mask & unseen).any() and mask.any()
    sr = elrtv(lr, out_shape=(16, 32), operator=op, zero_background=True, iters=10).image
    assert sr[:, 8:].min() > 0.4  # the gaps inside the object are filled, not zeroed


def test_zero_background_zeroes_only_pixels_seeing_zero_lr():
    from mrisr.classical.elrtv import background_mask

    hr = phantom(48)
    lr = np.floor(_lr(hr) * 255) / 255
    op = gaussian_operator((48, 48), (24, 24), sigma=1.0)
    mask = background_mask(lr[None], op)[0]
    assert 0.05 < mask.mean() < 0.6 and np.all(hr[mask] < 0.05)
    kw = dict(scale=2, operator=OP, iters=5, hf_boost=0.3, init="bicubic")
    plain = elrtv(lr, **kw).image
    zeroed = elrtv(lr, zero_background=True, **kw).image
    assert plain[mask].max() > 0 and np.all(zeroed[mask] == 0)
    np.testing.assert_array_equal(zeroed[~mask], plain[~mask])
