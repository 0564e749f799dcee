"""mrisr.methods.inputcheck: one warning line where a specialist meets an input unlike its training data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mrisr.data import degrade
from mrisr.methods import (
    InputMismatchWarning,
    check_input,
    input_mismatch,
    make_method,
    method_info,
)
from tests.conftest import textured_phantom


def _lr(spec: str, scale: int, seed: int = 0, n: int = 256) -> np.ndarray:
    return degrade(textured_phantom(n, seed=seed), scale, kind=spec, seed=seed)


def test_trained_on_is_in_the_records():
    assert method_info("liif-x2").trained_on == method_info("elrtv").trained_on == "gaussian"
    assert method_info("bicubic").trained_on is None and method_info("zerofill").trained_on is None


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("spec", "scale"), [("gaussian+quant:8,floor", 2), ("gaussian:sigma=1+quant:8,floor", 4),
                                             ("gaussian+quant:8,floor", 4)])
def test_no_warning_on_the_training_pipeline(spec, scale, seed):
    lr = _lr(spec, scale, seed)
    for method in (f"liif-x{scale}", "elrtv", "liif-ms-x2"):
        assert input_mismatch(lr, method, scale=scale) is None


@pytest.mark.parametrize(("spec", "scale", "better"), [
    ("kspace+quant:8", 2, "liif-blind"), ("kspace+rician:0.02+quant:8", 2, "liif-blind"),
    ("bicubic+quant:8", 2, "liif-blind"), ("gaussian+rician:0.02+quant:8", 2, "liif-blind"),
])
def test_mismatch_names_the_better_method(spec, scale, better):
    line = input_mismatch(_lr(spec, scale), "liif-x2", scale=scale, label="slice.png")
    assert line is not None and "\n" not in line
    assert line.startswith("slice.png looks ") and line.endswith(f"try --method {better}") and "liif-x2" in line


def test_interpolation_never_warns_and_liif_x4_keeps_bicubic_input_at_4x():
    lr2 = _lr("kspace+quant:8", 2)
    assert input_mismatch(lr2, "bicubic", scale=2) is None and input_mismatch(lr2, "zerofill", scale=2) is None
    assert input_mismatch(_lr("bicubic+quant:8", 4), "liif-x4", scale=4) is None  # liif-x4 led there on val


def test_stacks_are_read_on_their_fullest_slices():
    stack = np.stack([np.zeros((128, 128))] * 3 + [_lr("kspace+quant:8", 2, seed=k) for k in range(3)])
    assert "liif-blind" in input_mismatch(stack, "liif-x2", scale=2)


def test_check_input_warns_or_raises():
    lr = _lr("kspace+quant:8", 2)
    with pytest.warns(InputMismatchWarning, match="k-space truncated"):
        check_input(lr, "liif-x2", scale=2)
    with pytest.raises(ValueError, match=r"try --method liif-blind \(--strict\)$"):
        check_input(lr, "liif-x2", scale=2, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_input(_lr("gaussian+quant:8,floor", 2), "liif-x2", scale=2, strict=True) is None


def test_make_method_check_leaves_outputs_unchanged():
    lr = _lr("kspace+quant:8", 2, n=96)
    plain = make_method("liif-x2", scale=2, params={"device": "cpu"})(lr, (96, 96))
    checked = make_method("liif-x2", scale=2, params={"device": "cpu", "check": "warn"})
    with pytest.warns(InputMismatchWarning, match="liif-blind"):
        out = checked(lr, (96, 96))
    np.testing.assert_array_equal(out, plain)
    with pytest.raises(ValueError, match="--strict"):
        make_method("liif-x2", scale=2, params={"device": "cpu", "check": "strict"})(lr, (96, 96))
    with pytest.raises(ValueError, match="check must be off, warn or strict"):
        make_method("liif-x2", scale=2, params={"check": "loud"})


def test_a_large_image_is_read_on_its_centre():
    lr = _lr("kspace+quant:8", 2, n=256)
    big = np.zeros((2048, 2048))
    big[960:1088, 960:1088] = lr  # the 128-px LR in the middle of a large, empty frame
    assert "liif-blind" in input_mismatch(big, "liif-x2", scale=2)
