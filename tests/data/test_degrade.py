"""Tests for mrisr.data.degrade."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.data.degrade import DEGRADATIONS, area_downscale, degrade, kspace_upsample
from mrisr.data.resize import resize
from tests.conftest import phantom

KINDS = [n for n in DEGRADATIONS.names() if DEGRADATIONS.get(n).resamples and n != "kernel"]  # kernel: integer scales


def test_registered_kinds():
    assert set(KINDS) >= {"area", "bicubic", "gaussian", "kspace", "lanczos", "slice_profile"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("shape", "scale", "expected"), [
    ((64, 64), 2, (32, 32)), ((64, 48), 4, (16, 12)), ((64, 64), 2.5, (26, 26)),
    ((63, 50), 3.3, (19, 15)), ((32, 32), 16, (2, 2)),
])
def test_output_shape(kind, shape, scale, expected):
    lr = degrade(phantom(shape), scale, kind=kind)
    assert lr.shape == expected and lr.dtype == np.float32
    assert lr.min() >= 0 and lr.max() <= 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scale", [2, 3, 2.5, 4])
def test_constant_stays_constant(kind, scale):
    lr = degrade(np.full((40, 40), 0.42), scale, kind=kind)
    np.testing.assert_allclose(lr, 0.42, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_batched_equals_single(kind):
    x = np.stack([phantom(32, seed=s) for s in range(3)])
    lr = degrade(x, 2, kind=kind)
    assert lr.shape == (3, 16, 16)
    np.testing.assert_allclose(lr[1], degrade(x[1], 2, kind=kind), atol=1e-6)


def band_limited(h, w, max_freq, seed=0):
    """Sum of random cosines with integer frequencies below ``max_freq`` (cycles per image)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 0.5)
    for _ in range(8):
        fy, fx = rng.integers(-max_freq + 1, max_freq, 2)
        img += 0.04 * np.cos(2 * np.pi * (fy * y / h + fx * x / w) + rng.uniform(0, 2 * np.pi))
    return img


@pytest.mark.parametrize(("shape", "scale"), [((64, 64), 2), ((64, 48), 4), ((63, 63), 2),
                                              ((65, 64), 2.5), ((64, 64), 2.5)])
def test_kspace_then_zero_fill_recovers_band_limited_image(shape, scale):
    lr_shape = (round(shape[0] / scale), round(shape[1] / scale))
    hr = band_limited(*shape, max_freq=min(lr_shape) // 2 - 1)
    lr = degrade(hr, scale, kind="kspace")
    assert lr.shape == lr_shape
    np.testing.assert_allclose(kspace_upsample(lr, shape), hr, atol=1e-5)
    assert abs(lr.mean() - hr.mean()) < 1e-6


def test_kspace_removes_high_frequencies():
    y, x = np.mgrid[0:64, 0:64]
    hi = 0.5 + 0.3 * np.cos(2 * np.pi * 25 * x / 64)  # above the 2x LR Nyquist (16)
    np.testing.assert_allclose(degrade(hi, 2, kind="kspace"), 0.5, atol=1e-6)


def gaussian_kernel_1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    r = int(truncate * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    return k / k.sum()


def test_gaussian_2x_sigma1_is_block_mean_of_blurred_image():
    # The IXI 2x pipeline: Gaussian sigma = 1 HR pixel, then the mean of each 2x2 block.
    hr = phantom(32, seed=3).astype(np.float64)
    k = gaussian_kernel_1d(1.0)
    r = len(k) // 2
    padded = np.pad(hr, r, mode="symmetric")  # mirror about the edge (scipy 'reflect')
    rows = np.array([np.convolve(row, k, mode="valid") for row in padded])
    blurred = np.array([np.convolve(col, k, mode="valid") for col in rows.T]).T
    expected = blurred.reshape(16, 2, 16, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(degrade(hr, 2, kind="gaussian", sigma=1.0), expected, atol=1e-6)
    # the default sigma at 2x is that same 1.0
    np.testing.assert_allclose(degrade(hr, 2, kind="gaussian"), expected, atol=1e-6)


def test_bicubic_is_antialiased_resize():
    hr = phantom(48)
    np.testing.assert_allclose(
        degrade(hr, 3, kind="bicubic"), np.clip(resize(hr, (16, 16), antialias=True), 0, 1), atol=1e-7
    )


def test_area_downscale_non_integer_keeps_mean():
    x = phantom((50, 40))
    y = area_downscale(x, (20, 16))
    assert abs(float(y.mean()) - float(x.mean())) < 1e-6
    np.testing.assert_allclose(area_downscale(x[:4, :4], (2, 2)), x[:4, :4].reshape(2, 2, 2, 2).mean((1, 3)),
                               atol=1e-7)


def test_quantise_gives_8bit_levels():
    lr = degrade(phantom(32), 2, quantise=True)
    np.testing.assert_allclose(lr * 255, np.round(lr * 255), atol=1e-4)


def test_bad_scale_and_kind():
    with pytest.raises(ValueError, match="scale must be"):
        degrade(phantom(32), 1.0)
    with pytest.raises(ValueError, match="scale must be"):
        degrade(phantom(32), 17)
    with pytest.raises(ValueError, match="did you mean 'gaussian'"):
        degrade(phantom(32), 2, kind="gausian")
    with pytest.raises(ValueError, match="cannot shrink"):
        kspace_upsample(np.ones((8, 8)), (4, 4))
