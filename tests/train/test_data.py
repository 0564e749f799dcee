"""Training data: the held-out training images never reach the sampler and are validated on."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.train.config import parse_train_config
from mrisr.train.data import PatchSampler, holdout_names, load_stack
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
