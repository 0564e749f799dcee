"""Training data: the held-out training images never reach the sampler and are validated on."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.train.config import DataConfig, parse_train_config
from mrisr.train.data import PatchSampler, holdout_names, load_stack, quantise
from mrisr.train.loop import Validator


def test_holdout_is_fixed_nested_and_bounded(tiny_ixi):
    a = holdout_names(str(tiny_ixi), "train", 3)
    assert a == holdout_names(str(tiny_ixi), "train", 3)  # the same on every call (no training seed involved)
    assert len(a) == 3 and len(set(a)) == 3
    assert set(holdout_names(str(tiny_ixi), "train", 2)) < set(a)  # a larger holdout contains a smaller one
    assert holdout_names(str(tiny_ixi), "train", 0) == []
    with pytest.raises(ValueError, match="holdout=6"):
        holdout_names(str(tiny_ixi), "train", 6)  # all 6 images: nothing left to train on


def test_sampler_never_draws_held_out_images(tiny_ixi, tiny_config):
    cfg = parse_train_config(tiny_config(tiny_ixi, data={**tiny_config(tiny_ixi)["data"], "holdout": 2}))
    held = holdout_names(str(tiny_ixi), "train", 2)
    sampler = PatchSampler(cfg.data, seed=0)
    assert len(sampler) == 4 and not set(held) & set(sampler.names)
    # the held-out HR pixels are nowhere in the sampler's stacks
    _, held_hr = load_stack(str(tiny_ixi), "train", 1, held)
    for img in held_hr:
        assert not any(np.array_equal(img, s) for s in sampler.stacks[1])


def test_validator_adds_the_held_out_images_per_pair(tiny_ixi, tiny_config):
    data = {**tiny_config(tiny_ixi)["data"], "holdout": 2}
    validator = Validator.from_config(parse_train_config(tiny_config(tiny_ixi, data=data)))
    tags = [t for t, _, _ in validator.sets]
    assert tags == ["x2", "holdout_x2", "x4", "holdout_x4"]
    held = holdout_names(str(tiny_ixi), "train", 2)
    _, hr = load_stack(str(tiny_ixi), "train", 1, held)
    np.testing.assert_array_equal(validator.sets[1][2], hr)
    assert validator.sets[3][1].shape == (2, 8, 8)  # the x4 LR of the held-out images


def test_negative_holdout_is_refused(tiny_ixi, tiny_config):
    data = {**tiny_config(tiny_ixi)["data"], "holdout": -1}
    with pytest.raises(ValueError, match="data.holdout"):
        parse_train_config(tiny_config(tiny_ixi, data=data))


def _block_mean_config(root, s: int, **data):
    """Synthetic pairs whose operator is the plain s x s block mean (so LR = block mean of the HR patch)."""
    op = {"kind": "kernel", "taps_h": [1.0 / s] * s, "start_h": 0, "start_w": 0}
    return DataConfig(root=str(root), mode="synthetic", pairs=((s, 1),), operator=op, quantise="none",
                      lr_patch=8, queries=0, foreground_min=0.0, augment=False, **data)


def test_synthetic_pairs_are_aligned_at_every_sampling_phase(ixi40):
    s = 4
    sampler = PatchSampler(_block_mean_config(ixi40, s), seed=0)
    phases = set()
    for step in range(40):
        b = sampler.sample(step, 2, 4)
        assert b.scale == s
        hr = b.gt[..., 0].numpy().reshape(2, 16, 16)
        lr = b.lr[:, 0].numpy()
        # each LR pixel is the mean of its s x s block of the HR patch
        np.testing.assert_allclose(lr, hr.reshape(2, 4, s, 4, s).mean(axis=(2, 4)), atol=1e-6)
        for patch in hr:  # where the HR patch sits in its training image (if that place is unique)
            hits = [(y, x) for img in sampler.stacks[1] for y in range(img.shape[0] - 15)
                    for x in range(img.shape[1] - 15) if np.array_equal(img[y : y + 16, x : x + 16], patch)]
            if len(hits) == 1:
                phases.add((hits[0][0] % s, hits[0][1] % s))
    assert len(phases) == s * s  # every shift of the sampling grid occurs, not just the stored pairs' one


def test_synthetic_phase_zero_reproduces_the_stored_pairs(tiny_ixi):
    # the tiny dataset's x2 LR images are a Gaussian blur (sigma 1 HR pixel), area mean and rounding:
    # the same degradation given as an operator makes the same pairs at phase 0
    from mrisr.classical.operators import make_operator

    cfg = DataConfig(root=str(tiny_ixi), mode="synthetic", pairs=((2, 1),),
                     operator={"kind": "gaussian", "sigma": 1.0}, quantise="round", lr_patch=8)
    sampler = PatchSampler(cfg, seed=0)
    _, stored = load_stack(str(tiny_ixi), "train", 2, sampler.names)
    op = make_operator(cfg.operator, sampler.stacks[1].shape[1:], stored.shape[1:])
    synthetic = quantise(op.forward(sampler.stacks[1]), "round")
    assert np.abs(synthetic - stored).max() * 255 <= 1.0 + 1e-4
    assert np.mean(np.abs(synthetic - stored) * 255 < 0.5) > 0.99


def test_quantise_levels():
    x = np.array([0.0, 0.5 / 255, 1.49 / 255, 200 / 255, 1.2], dtype=np.float32)
    np.testing.assert_allclose(quantise(x, "floor") * 255, [0, 0, 1, 200, 255], atol=1e-4)
    np.testing.assert_allclose(quantise(x, "round") * 255, [0, 0, 1, 200, 255], atol=1e-4)
    np.testing.assert_allclose(quantise(np.float32([0.7 / 255]), "round") * 255, [1], atol=1e-4)
    np.testing.assert_array_equal(quantise(x, "none"), np.clip(x, 0, 1))  # clipped, not quantised


@pytest.mark.parametrize(("data", "match"), [
    ({"mode": "synthetic"}, "needs data.operator"),
    ({"mode": "synthetic", "operator": {"kind": "gaussian"}, "pairs": [[4, 2]]}, r"\[s, 1\] pairs"),
    ({"quantise": "ceil"}, "data.quantise"),
])
def test_synthetic_config_is_validated(tiny_ixi, tiny_config, data, match):
    with pytest.raises(ValueError, match=match):
        parse_train_config(tiny_config(tiny_ixi, data={**tiny_config(tiny_ixi)["data"], **data}))


def test_bad_operator_fails_before_training(tiny_ixi):
    cfg = DataConfig(root=str(tiny_ixi), mode="synthetic", pairs=((2, 1),), operator={"kind": "nope"}, lr_patch=8)
    with pytest.raises(ValueError, match="nope"):
        PatchSampler(cfg, seed=0)


@pytest.mark.parametrize(("data", "side"), [
    ({"mode": "stored", "pairs": ((4, 1),), "lr_patch": 9}, 8),  # 32-px HR, 8-px x4 LR
    ({"mode": "synthetic", "pairs": ((2, 1),), "operator": {"kind": "gaussian"}, "lr_patch": 16}, 15),  # 31 // 2
])
def test_a_patch_larger_than_the_lr_images_is_refused(tiny_ixi, data, side):
    with pytest.raises(ValueError, match=f"lr_patch {data['lr_patch']} is larger than the {side}-px LR images"):
        PatchSampler(DataConfig(root=str(tiny_ixi), **data), seed=0)
    PatchSampler(DataConfig(root=str(tiny_ixi), **{**data, "lr_patch": side}), seed=0)


def test_synthetic_pairs_one_level_down_never_touch_the_hr_images(ixi40):
    # synthetic_from: 2 treats the x2 images (20 px here) as HR: 2x pairs of 9 -> 18 px images, cut from them
    cfg = DataConfig(root=str(ixi40), mode="synthetic", pairs=((2, 1),), synthetic_from=2, lr_patch=8,
                     queries=0, operator={"kind": "gaussian", "sigma": 1.0}, quantise="floor", augment=False)
    sampler = PatchSampler(cfg, seed=0)
    names, x2 = load_stack(str(ixi40), "train", 2)
    _, hr = load_stack(str(ixi40), "train", 1, names)
    assert sampler.names == names and np.array_equal(sampler.stacks[1], x2) and set(sampler.stacks) == {1}
    b = sampler.sample(0, 3, 8)
    assert b.scale == 2 and b.lr.shape == (3, 1, 8, 8) and b.gt.shape == (3, 16 * 16, 1)
    for patch in b.gt[..., 0].numpy().reshape(3, 16, 16):
        assert any(np.array_equal(img[y : y + 16, x : x + 16], patch) for img in x2 for y in range(5) for x in range(5))
        assert not any(np.array_equal(img[y : y + 16, x : x + 16], patch) for img in hr for y in range(25)
                       for x in range(25))
    with pytest.raises(ValueError, match="synthetic_from must be >= 1 and needs data.mode 'synthetic'"):
        DataConfig(root=str(ixi40), synthetic_from=2)


@pytest.fixture(scope="module")
def ixi96(tmp_path_factory):
    """HR 96 px: an 8-px LR patch plus the prior's 8-px margins at scale 4 needs (8 + 16) * 4."""
    from tests.conftest import make_study_dataset

    return make_study_dataset(tmp_path_factory.mktemp("ixi96"), n=3, size=96, scales=(2,), degradation="gaussian")


def _blind_sampler(root, prior=None):
    from mrisr.data.blind import BlindPrior

    data = DataConfig(root=str(root), mode="on_the_fly", prior="blind-v1", lr_patch=8, queries=0,
                      foreground_min=0.0, augment=False)
    sampler = PatchSampler(data, seed=0)
    if prior is not None:
        sampler.prior = prior if isinstance(prior, BlindPrior) else BlindPrior(**prior)
    return sampler


def test_blind_batches_take_the_scale_and_a_patch_of_whole_hr_pixels(ixi96):
    sampler = _blind_sampler(ixi96)
    seen = set()
    for step in range(30):
        b = sampler.sample(step, 2, 8)
        p = b.lr.shape[-1]
        seen.add(b.scale)
        assert 1.5 <= b.scale <= 4 and p <= 8 and p * b.scale == int(p * b.scale)
        assert b.gt.shape == (2, int(p * b.scale) ** 2, 1)  # queries: 0 -> every HR pixel of the patch
    assert len(seen) > 2
    a, b = sampler.sample(7, 2, 8), sampler.sample(7, 2, 8)
    assert np.array_equal(a.lr.numpy(), b.lr.numpy())  # a step replays exactly (resume)


@pytest.mark.parametrize("scale", [2.0, 2.5])
def test_blind_patch_is_aligned_with_its_hr_patch(ixi96, scale):
    """Area resampling of a ramp: each LR pixel is the ramp's mean over its HR footprint."""
    from mrisr.data.blind import BlindPrior

    sampler = _blind_sampler(ixi96, BlindPrior(exact_scales=(scale,), p_exact=1.0, p_study=1.0, study_spec="area"))
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float32)
    sampler.stacks[1] = np.stack([(yy + 2 * xx) / 300.0] * len(sampler))
    b = sampler.sample(0, 1, 8)
    lr, p = b.lr[0, 0].numpy(), b.lr.shape[-1]
    hp = int(round(p * scale))
    hr = b.gt[0, :, 0].numpy().reshape(hp, hp)
    # within the patch the ramp has slope 1/300 down and 2/300 across; LR pixel (i, j) covers HR
    # [i s, (i + 1) s) of the patch, whose mean is the ramp at HR coordinate (i + 0.5) s - 0.5
    c = (np.arange(p) + 0.5) * scale - 0.5
    expect = hr[0, 0] + (c[:, None] + 2 * c[None, :]) / 300.0
    np.testing.assert_allclose(lr, expect, atol=2e-3)


def test_blind_contrast_reaches_the_target_too(ixi96):
    """A contrast change is applied to the HR patch as well: the LR is a blur of the remapped target."""
    from mrisr.data.blind import BlindPrior, Draw

    class Gamma(BlindPrior):
        def draw(self, rng, scale):
            return Draw("gamma:2", "area")

    sampler = _blind_sampler(ixi96, Gamma(exact_scales=(2.0,), p_exact=1.0))
    b = sampler.sample(0, 1, 8)
    hr = b.gt[0, :, 0].numpy().reshape(16, 16)
    np.testing.assert_allclose(b.lr[0, 0].numpy(), hr.reshape(8, 2, 8, 2).mean(axis=(1, 3)), atol=1e-6)


def test_validator_on_degraded_val_images(ixi96):
    data = DataConfig(root=str(ixi96), mode="on_the_fly", prior="blind-v1", lr_patch=8, holdout=1,
                      val_degradations=("area", "kspace+quant:8"), val_scales=(2.0, 3.0))
    validator = Validator.from_config(parse_train_config({"data": vars(data) | {"pairs": [[2, 1]]}}))
    assert [t for t, _, _ in validator.sets] == ["x2_area", "x2_kspace+quant:8", "x3_area", "x3_kspace+quant:8"]
    tag, lr, hr = validator.sets[3]
    assert len(hr) == 3 + 1 and lr.shape == (4, 32, 32)  # val images plus the held-out one, 96 / 3
    assert validator.select == "mean"


def test_prior_needs_on_the_fly_and_a_known_name(ixi96):
    with pytest.raises(ValueError, match="on_the_fly"):
        DataConfig(root=str(ixi96), prior="blind-v1")
    with pytest.raises(ValueError, match="did you mean 'blind-v1'"):
        DataConfig(root=str(ixi96), mode="on_the_fly", prior="blind_v1")
    with pytest.raises(ValueError, match="kspce"):
        DataConfig(root=str(ixi96), val_degradations=("kspce",))
