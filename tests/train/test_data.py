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
