"""Tests for mrisr.metrics.

SSIM reference: scikit-image ``skimage.metrics.structural_similarity`` (v0.21+),
7x7 uniform window with sample covariance (its defaults) and the Gaussian
window of Wang et al. (2004) (``gaussian_weights=True, sigma=1.5,
use_sample_covariance=False``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from mrisr.metrics import foreground_mask, image_metrics, psnr, shave_border, ssim, summarise
from tests.conftest import phantom

RNG = np.random.default_rng(2)


def test_psnr_by_hand():
    hr = np.zeros((10, 10))
    assert psnr(hr + 0.1, hr) == pytest.approx(20.0)  # MSE 0.01 -> 10 log10(1 / 0.01)
    assert psnr(hr + 0.01, hr) == pytest.approx(40.0)
    sr = hr.copy()
    sr[0, :] = 0.5  # MSE = 10 * 0.25 / 100 = 0.025
    assert psnr(sr, hr) == pytest.approx(10 * math.log10(1 / 0.025))
    assert psnr(hr + 25.5, hr, data_range=255) == pytest.approx(20.0)


def test_psnr_shave_and_mask():
    hr = np.zeros((10, 10))
    sr = hr.copy()
    sr[0, :] = sr[:, -1] = 1.0  # error only on the border
    assert math.isinf(psnr(sr, hr, shave=1))
    sr2 = hr + 0.1
    sr2[:5] = 0.2  # top half error 0.2, bottom half 0.1
    mask = np.zeros((10, 10), bool)
    mask[5:] = True
    assert psnr(sr2, hr, mask=mask) == pytest.approx(20.0)
    assert psnr(sr2, hr, mask=~mask) == pytest.approx(10 * math.log10(1 / 0.04))
    assert psnr(sr2, hr) == pytest.approx(10 * math.log10(1 / 0.025))
    # mask and shave together: rows 5..8, cols 1..8 of the bottom half
    assert psnr(sr2, hr, mask=mask, shave=1) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="selects no pixels"):
        psnr(sr2, hr, mask=np.zeros((10, 10), bool))
    with pytest.raises(ValueError, match="mask shape"):
        psnr(sr2, hr, mask=np.ones((5, 5), bool))


def test_identical_images():
    x = phantom(32)
    assert math.isinf(psnr(x, x))
    assert ssim(x, x) == pytest.approx(1.0)
    assert ssim(x, x, window="gaussian11") == pytest.approx(1.0)


def pair(seed=0, size=40):
    hr = phantom(size, seed=seed).astype(np.float64)
    sr = np.clip(hr + RNG.normal(0, 0.05, hr.shape), 0, 1)
    return sr, hr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ssim_uniform7_equals_skimage_default(seed):
    sr, hr = pair(seed)
    ref = structural_similarity(sr, hr, data_range=1.0)  # win_size=7, sample covariance
    assert ssim(sr, hr, window="uniform7") == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ssim_gaussian11_equals_skimage_wang(seed):
    sr, hr = pair(seed)
    ref = structural_similarity(
        sr, hr, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim(sr, hr, window="gaussian11") == pytest.approx(ref, abs=1e-10)


def test_ssim_shave_and_errors():
    sr, hr = pair(4)
    ref = structural_similarity(sr[3:-3, 3:-3], hr[3:-3, 3:-3], data_range=1.0)
    assert ssim(sr, hr, shave=3) == pytest.approx(ref, abs=1e-10)
    assert ssim(sr, hr) < 1.0
    with pytest.raises(ValueError, match="unknown SSIM window 'box'"):
        ssim(sr, hr, window="box")
    with pytest.raises(ValueError, match="smaller than the 11x11"):
        ssim(sr[:8, :8], hr[:8, :8], window="gaussian11")
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(sr, hr[:-1])
    with pytest.raises(ValueError, match="2-D"):
        ssim(sr[None], hr[None])
    with pytest.raises(ValueError, match="shave must be >= 0"):
        shave_border(sr, -1)


def test_foreground_mask_dilation():
    hr = np.zeros((11, 11))
    hr[5, 5] = 1.0
    assert foreground_mask(hr, dilate=0).sum() == 1
    assert foreground_mask(hr, dilate=1).sum() == 5  # cross-shaped structuring element
    assert foreground_mask(hr, dilate=2).sum() == 13


def test_image_metrics_values():
    sr, hr = pair(5)
    m = image_metrics(sr, hr)
    assert set(m) == {"psnr", "psnr_fg", "ssim", "ssim_g"}
    assert m["psnr"] == pytest.approx(psnr(sr, hr))
    assert m["psnr_fg"] == pytest.approx(psnr(sr, hr, mask=foreground_mask(hr)))
    assert m["psnr_fg"] < m["psnr"]  # background errors are 0 after clipping at 0 ... mostly
    assert m["ssim"] == pytest.approx(ssim(sr, hr)) and m["ssim_g"] == pytest.approx(ssim(sr, hr, window="gaussian11"))
    # outputs are clipped to [0, 1] before scoring
    assert image_metrics(hr + 5.0, hr)["psnr"] == pytest.approx(psnr(np.ones_like(hr), hr))
    assert math.isnan(image_metrics(np.zeros((16, 16)) + 0.1, np.zeros((16, 16)))["psnr_fg"])


def test_summarise():
    assert summarise([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.0))  # sample sd
    assert summarise([1.0, float("nan"), 3.0, float("inf")]) == pytest.approx((2.0, math.sqrt(2)))
    assert summarise([4.0]) == (4.0, 0.0)
    assert all(math.isnan(v) for v in summarise([]))
